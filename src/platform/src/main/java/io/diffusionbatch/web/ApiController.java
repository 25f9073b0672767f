package io.diffusionbatch.web;

import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.RunSummary;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's JSON: {@code /api/runs} (the newest runs with their progress),
 * {@code /api/runs/ID} (one run with its figures; not measured = null) and
 * {@code /api/runs/ID/progress} (one run as {@code /api/runs} lists it, without the figures).
 * The progress script polls {@code /api/runs} or {@code /api/runs/ID/progress}: both read the runs'
 * counters, never their items, so polling costs the same whatever the size of a run (the figures
 * are aggregated over the run's items and are read once, with the page).
 * Errors are {@code {"error": message, "status": code}}. Thread-safe.
 */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class ApiController {

    private final DashboardStore store;
    private final RunFiguresReader figures;

    public ApiController(DashboardStore store, RunFiguresReader figures) {
        this.store = store;
        this.figures = figures;
    }

    @GetMapping("/api/runs")
    public Map<String, List<Map<String, Object>>> runs() {
        return Map.of("runs", store.latestRuns(PagesController.RUN_LIMIT).stream().map(ApiController::json).toList());
    }

    @GetMapping("/api/runs/{run}")
    public Map<String, Object> run(@PathVariable String run) {
        long id = Params.runId(run);
        Map<String, Object> j = json(Lookups.run(store, id));
        Map<String, Object> fig = new LinkedHashMap<>();
        figures.read(id).ifPresent(f -> f.columns().forEach((k, v) -> fig.put(k, finiteOrNull(v))));
        j.put("figures", fig.isEmpty() ? null : fig);
        return j;
    }

    @GetMapping("/api/runs/{run}/progress")
    public Map<String, Object> progress(@PathVariable String run) {
        return json(Lookups.run(store, Params.runId(run)));
    }

    private static Map<String, Object> json(RunSummary r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("requestId", r.clientRequestId());
        m.put("status", r.status().sql());
        m.put("finished", r.finished());
        m.put("model", r.model());
        m.put("sampler", r.sampler());
        m.put("steps", r.steps());
        m.put("total", r.total());
        m.put("done", r.done());
        m.put("failed", r.failed());
        m.put("cancelled", r.cancelled());
        m.put("pending", r.pending());
        m.put("acceptedAt", r.acceptedAt() == null ? null : r.acceptedAt().toString());
        m.put("startedAt", r.startedAt() == null ? null : r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        return m;
    }

    private static Object finiteOrNull(Object v) {
        return v instanceof Double d && !Double.isFinite(d) ? null : v;
    }
}
