// Live progress of the runs list and the run page: polls /api/runs (or /api/runs/ID/progress) every
// 1.5 s while a shown run is unfinished, and reloads a run page once when its run finishes. Both
// answers come from the runs' counters, so a poll is cheap whatever the size of the runs.
(function () {
  'use strict';
  var shown = document.querySelectorAll('[data-progress]');
  if (!shown.length) { return; }
  var single = document.body.getAttribute('data-run');
  var url = single ? '/api/runs/' + single + '/progress' : '/api/runs';
  var polls = 0;
  var sawActive = false;

  function render(r) {
    var bars = document.querySelectorAll('[data-progress="' + r.id + '"]');
    for (var i = 0; i < bars.length; i++) {
      bars[i].querySelector('.count').textContent = r.done + ' / ' + r.total;
      bars[i].querySelector('.bar i').style.width = (r.total ? 100 * r.done / r.total : 0) + '%';
    }
    var statuses = document.querySelectorAll('[data-status="' + r.id + '"]');
    for (var j = 0; j < statuses.length; j++) { statuses[j].textContent = r.status; }
  }

  function tick() {
    fetch(url, {cache: 'no-store'}).then(function (res) {
      if (!res.ok) { throw new Error('HTTP ' + res.status); }
      return res.json();
    }).then(function (data) {
      var runs = data.runs ? data.runs : [data];
      runs.forEach(render);
      polls++;
      document.body.setAttribute('data-polls', String(polls));
      var active = runs.some(function (r) { return !r.finished && document.querySelector('[data-progress="' + r.id + '"]'); });
      if (active) {
        sawActive = true;
        setTimeout(tick, 1500);
      } else if (sawActive && single) {
        location.reload();
      }
    }).catch(function () { setTimeout(tick, 5000); });
  }
  tick();
})();
