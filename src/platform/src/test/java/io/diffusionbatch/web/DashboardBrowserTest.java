package io.diffusionbatch.web;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser: headless Chromium over the DevTools Protocol loads a run page,
 * decodes every thumbnail, shows the figures and the progress the script fetched, and a click on
 * "reproduce" shows a match. Skipped only when no Chromium is installed ({@code .ci/run} installs it).
 */
class DashboardBrowserTest {

    private static final int LIVE_ITEMS = 24;
    private static final int LIVE_STEPS = 25;

    /** With {@code -Ddashboard.screenshots=DIR}, saves what the browser shows (for looking at the pages). */
    private static void shoot(Chromium browser, String name) throws Exception {
        String dir = System.getProperty("dashboard.screenshots");
        if (dir != null) {
            java.nio.file.Files.createDirectories(Path.of(dir));
            browser.screenshot(Path.of(dir, name + ".png"));
        }
    }

    @Test
    void runPageDecodesThumbnailsShowsFiguresAndProgressAndReproduceMatches() throws Exception {
        Optional<Path> binary = Chromium.binary();
        Assumptions.assumeTrue(binary.isPresent(),
                "no chromium binary (/usr/bin/chromium): install it with apt-get install -y chromium to run this test");
        TestServer server = TestServer.get();
        String base = server.bean(Dashboard.class).url().orElseThrow().toString();
        String id = TestServer.uniqueId("dash-browser");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a \\"><img src=x onerror=alert(1)> ring", "a cube"],
                 "seeds": {"count": 3, "base": 5}, "params": {"sampler": "ddim", "steps": 2, "guidance": 3.0},
                 "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        RunFigures figures = server.bean(RunFiguresReader.class).read(run.id()).orElseThrow();
        String sha = server.jdbc().sql("SELECT sha256 FROM outputs WHERE request_id = ? AND idx = 1").param(run.id())
                .query(String.class).single();

        List<ProcessHandle> processes;
        long t0 = System.nanoTime();
        try (Chromium browser = Chromium.launch(binary.get())) {
            // live progress: the runs list is loaded while a run is running, and the script alone
            // (the list never reloads) brings its row to completed with every item done. The list is
            // loaded once before, so first-use costs (templates, JSON) do not eat the run's time.
            browser.navigate(base);
            String live = TestServer.uniqueId("dash-live");
            server.send(live, ("""
                    {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a slow square"],
                     "seeds": {"count": %d, "base": 1}, "params": {"sampler": "ddim", "steps": %d, "guidance": 3.0},
                     "output": {"location": "dash/%s", "format": "png"}}
                    """.formatted(live, LIVE_ITEMS, LIVE_STEPS, live)).getBytes(StandardCharsets.UTF_8));
            RequestRow running = server.awaitRun(live, r -> r.status() == RunStatus.RUNNING, Duration.ofSeconds(60));
            long t1 = System.nanoTime();
            browser.navigate(base);
            String status = "document.querySelector('[data-status=\"" + running.id() + "\"]').textContent";
            String count = "document.querySelector('[data-progress=\"" + running.id() + "\"] .count').textContent";
            JsonNode first = browser.eval("({status: " + status + ", count: " + count + "})");
            assertThat(first.get("status").asString()).as("the run was still running when the list loaded").isEqualTo("running");
            browser.waitFor(status + " === 'completed' && " + count + " === '" + LIVE_ITEMS + " / " + LIVE_ITEMS + "'",
                    Duration.ofSeconds(60));
            assertThat(browser.eval("Number(document.body.dataset.polls)").asInt()).isGreaterThanOrEqualTo(2);
            System.out.printf("live run watched for %.1f s, first seen %s%n", (System.nanoTime() - t1) / 1e9, first);

            shoot(browser, "runs");
            browser.navigate(base + "runs/" + run.id());
            // every thumbnail decoded by the browser
            browser.waitFor("document.querySelectorAll('img.thumb').length === 6 && "
                    + "Array.from(document.querySelectorAll('img.thumb')).every(i => i.complete && i.naturalWidth > 0)",
                    Duration.ofSeconds(10));
            shoot(browser, "run");
            // the progress script ran against /api/runs/ID/progress and wrote what it fetched
            browser.waitFor("Number(document.body.dataset.polls || 0) >= 1", Duration.ofSeconds(10));
            JsonNode page = browser.eval("""
                    ({progress: document.querySelector('[data-progress] .count').textContent,
                      bar: document.querySelector('[data-progress] .bar i').style.width,
                      status: document.querySelector('[data-status]').textContent,
                      nfe: document.querySelector('[data-figure="NFE"]').textContent,
                      fid: document.querySelector('[data-figure="FID"]').textContent,
                      figures: document.querySelectorAll('#figures tr').length,
                      bars: document.querySelectorAll('svg.bars rect').length,
                      injected: document.querySelectorAll('img:not(.thumb)').length,
                      width: document.querySelector('img.thumb').naturalWidth})""");
            assertThat(page.get("progress").asString()).isEqualTo("6 / 6");
            assertThat(page.get("bar").asString()).isEqualTo("100%");
            assertThat(page.get("status").asString()).isEqualTo("completed");
            assertThat(page.get("nfe").asString()).isEqualTo(Format.figure(figures.nfe())).isEqualTo("4.000");
            assertThat(page.get("fid").asString()).isEqualTo("–");
            assertThat(page.get("figures").asInt()).isEqualTo(figures.columns().size());
            assertThat(page.get("bars").asInt()).isEqualTo(5);
            assertThat(page.get("injected").asInt()).as("the prompt's <img> stayed text").isZero();
            assertThat(page.get("width").asInt()).isPositive();

            browser.navigate(base + "items/" + run.id() + "/1");
            browser.waitFor("document.getElementById('output').naturalWidth > 0", Duration.ofSeconds(10));
            browser.eval("document.querySelector('#reproduce-form button').click(); true");
            browser.waitFor("document.getElementById('reproduce-result') !== null", Duration.ofSeconds(20));
            JsonNode result = browser.eval("""
                    ({outcome: document.getElementById('reproduce-result').dataset.outcome,
                      text: document.getElementById('reproduce-result').textContent,
                      stored: document.getElementById('stored-sha256').textContent,
                      made: document.getElementById('new-sha256').textContent})""");
            shoot(browser, "reproduced");
            assertThat(result.get("outcome").asString()).isEqualTo("match");
            assertThat(result.get("text").asString()).startsWith("match");
            assertThat(result.get("stored").asString()).isEqualTo(sha);
            assertThat(result.get("made").asString()).isEqualTo(sha);
            processes = browser.processes();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("browser part (launch, two pages, reproduce, kill): %.1f s%n", seconds);
        assertThat(processes).as("chromium and its children are gone").noneMatch(ProcessHandle::isAlive);
        assertThat(seconds).as("the browser part stays fast").isLessThan(30);
    }

    private static final String SCRIPT = "<script>alert(1)</script>";
    private static final String IMG = "\"><img src=x onerror=alert(1)>";
    /** A prompt with every kind of payload: a script element, an attribute break-out with an event handler, quotes. */
    static final String XSS_PROMPT = "a " + SCRIPT + " " + IMG + " 'single' \"double\" & circle";
    static final String XSS_NEGATIVE = "no " + SCRIPT + IMG + " 'x'";
    static final String XSS_LABEL = SCRIPT + IMG;

    /** No script but the dashboard's own, no element made from the payload, no dialog opened so far. */
    private static void assertNothingInjected(Chromium browser, String where) throws Exception {
        JsonNode dom = browser.eval("""
                ({scripts: Array.from(document.scripts).filter(s => s.getAttribute('src') !== '/static/progress.js').length,
                  handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
                  strayImages: document.querySelectorAll('img[src="x"], img:not([src^="/files/"])').length})""");
        assertThat(dom.get("scripts").asInt()).as(where + ": injected script elements").isZero();
        assertThat(dom.get("handlers").asInt()).as(where + ": elements with an event handler attribute").isZero();
        assertThat(dom.get("strayImages").asInt()).as(where + ": injected img elements").isZero();
        assertThat(browser.events("Page.javascriptDialogOpening")).as(where + ": JavaScript dialogs").isEmpty();
    }

    @Test
    void ledgerTextWithScriptsAndBrokenAttributesIsShownAsTextOnEveryPage() throws Exception {
        Optional<Path> binary = Chromium.binary();
        Assumptions.assumeTrue(binary.isPresent(),
                "no chromium binary (/usr/bin/chromium): install it with apt-get install -y chromium to run this test");
        TestServer server = TestServer.get();
        String base = server.bean(Dashboard.class).url().orElseThrow().toString();
        tools.jackson.databind.json.JsonMapper json = tools.jackson.databind.json.JsonMapper.builder().build();
        // the bundled shapes model, judged by its evaluator, so the run also shows on the quality page
        String id = TestServer.uniqueId("dash-xss");
        String request = """
                {"requestId": "%s", "kind": "image", "model": "shapes", "labels": {"team": %s},
                 "prompts": [{"prompt": %s, "negative": %s, "labels": {"note": %s}},
                             "a large red circle in the centre on a white background"],
                 "params": {"sampler": "euler", "steps": 4, "guidance": 5.0},
                 "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, json.writeValueAsString(XSS_LABEL), json.writeValueAsString(XSS_PROMPT),
                json.writeValueAsString(XSS_NEGATIVE), json.writeValueAsString(XSS_LABEL), id);
        server.send(id, request.getBytes(StandardCharsets.UTF_8));
        // and a refused input whose raw payload carries the same text in its request id and model
        String bad = TestServer.uniqueId("dash-xss-bad");
        server.send(bad, ("{\"requestId\": " + json.writeValueAsString(bad + SCRIPT + IMG) + ", \"kind\": \"image\", "
                + "\"model\": " + json.writeValueAsString(SCRIPT + IMG) + "}").getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).as(String.valueOf(run.message())).isEqualTo(RunStatus.COMPLETED);
        io.diffusionbatch.ledger.RejectionStore rejections = server.bean(io.diffusionbatch.ledger.RejectionStore.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (rejections.latest(50).stream().noneMatch(x -> x.reasonsJson().contains(bad)) && System.nanoTime() < deadline) {
            TestServer.sleep(100);
        }
        long seed = server.jdbc().sql("SELECT seed FROM items WHERE request_id = ? AND idx = 0").param(run.id())
                .query(Long.class).single();

        try (Chromium browser = Chromium.launch(binary.get())) {
            // the detector works: a dialog the test opens itself is seen (and dismissed)
            browser.navigate(base + "rejected");
            browser.eval("setTimeout(() => alert('probe'), 0); true");
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (browser.events("Page.javascriptDialogOpening").isEmpty() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(browser.events("Page.javascriptDialogOpening")).hasSize(1);
            try (Chromium clean = Chromium.launch(binary.get())) {
                clean.navigate(base);
                assertNothingInjected(clean, "runs list");
                assertThat(clean.eval("document.getElementById('runs').textContent.includes(" + json.writeValueAsString(id)
                        + ")").asBoolean()).isTrue();

                clean.navigate(base + "runs/" + run.id());
                clean.waitFor("Array.from(document.querySelectorAll('img.thumb')).every(i => i.complete && i.naturalWidth > 0)",
                        Duration.ofSeconds(10));
                assertNothingInjected(clean, "run page");
                assertThat(clean.eval("document.querySelector('img.thumb').title").asString())
                        .isEqualTo("#0 seed " + seed + ": " + XSS_PROMPT);
                assertThat(clean.eval("document.querySelector('img.thumb').alt").asString())
                        .isEqualTo("#0 seed " + seed + ": " + XSS_PROMPT);
                shoot(clean, "xss-run");

                clean.navigate(base + "items/" + run.id() + "/0");
                clean.waitFor("document.getElementById('output').naturalWidth > 0", Duration.ofSeconds(10));
                assertNothingInjected(clean, "item page");
                JsonNode item = clean.eval("""
                        ({prompt: document.getElementById('prompt').textContent,
                          negative: document.getElementById('negative').textContent,
                          labels: document.getElementById('labels').textContent,
                          request: document.getElementById('request').textContent,
                          alt: document.getElementById('output').alt})""");
                assertThat(item.get("prompt").asString()).isEqualTo(XSS_PROMPT);
                assertThat(item.get("negative").asString()).isEqualTo(XSS_NEGATIVE);
                assertThat(item.get("alt").asString()).isEqualTo(XSS_PROMPT);
                // labels and the request are JSON text: the payload is there as JSON writes it
                assertThat(item.get("labels").asString()).contains(json.writeValueAsString(XSS_LABEL));
                assertThat(item.get("request").asString()).contains(json.writeValueAsString(XSS_PROMPT))
                        .contains(json.writeValueAsString(XSS_NEGATIVE));
                shoot(clean, "xss-item");

                // the reproduce button still works on such an item, and its answer is as clean
                clean.eval("document.querySelector('#reproduce-form button').click(); true");
                clean.waitFor("document.getElementById('reproduce-result') !== null", Duration.ofSeconds(30));
                assertNothingInjected(clean, "reproduced item page");
                assertThat(clean.eval("document.getElementById('reproduce-result').dataset.outcome").asString())
                        .isEqualTo("match");
                assertThat(clean.eval("document.getElementById('prompt').textContent").asString()).isEqualTo(XSS_PROMPT);

                clean.navigate(base + "quality");
                assertNothingInjected(clean, "quality page");
                assertThat(clean.eval("document.querySelector('#measured').textContent.includes('shapes · euler') "
                        + "|| document.body.textContent.includes('shapes · euler')").asBoolean()).isTrue();
                assertThat(clean.eval("Array.from(document.querySelectorAll('a')).some(a => a.getAttribute('href') === '/runs/"
                        + run.id() + "')").asBoolean()).as("the run is on the quality page").isTrue();
                shoot(clean, "xss-quality");

                clean.navigate(base + "rejected");
                assertNothingInjected(clean, "rejected inputs page");
                String table = clean.eval("document.getElementById('rejected').textContent").asString();
                assertThat(table).contains(bad + SCRIPT).contains("unknown model '" + SCRIPT + IMG + "'");
                shoot(clean, "xss-rejected");

                clean.navigate(base + "runs/abc%3Cscript%3Ealert(1)");
                assertNothingInjected(clean, "error page");
                assertThat(clean.eval("document.getElementById('error').textContent").asString())
                        .contains("was 'abc<script>alert(1)'");
            }
        }
    }
}
