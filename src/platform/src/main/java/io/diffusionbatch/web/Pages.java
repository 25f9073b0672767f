package io.diffusionbatch.web;

import io.diffusionbatch.audit.ItemRecord;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.audit.RunFigures;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RunSummary;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import io.diffusionbatch.sweep.ParetoFront;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Renders the dashboard's pages from ledger values. Every value from the ledger is escaped.
 * Stateless, thread-safe.
 */
public final class Pages {

    /** Thumbnails per page of a run's contact sheet. */
    public static final int SHEET_PAGE = 48;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Pages() {
    }

    /** {@code /}: the runs, newest first, with live progress. */
    public static String runs(List<RunSummary> runs) {
        StringBuilder b = new StringBuilder();
        if (runs.isEmpty()) {
            b.append("<p class=\"muted\">no runs yet: send a request (java -jar target/diffusion-batch.jar submit FILE)</p>");
            return Html.page("Runs", "", b.toString());
        }
        b.append("<table id=\"runs\"><tr><th>run</th><th>request</th><th>status</th><th>model</th><th>sampler</th>"
                + "<th>steps</th><th>done / total</th><th>created</th></tr>\n");
        for (RunSummary r : runs) {
            b.append("<tr><td class=\"num\"><a href=\"/runs/").append(r.id()).append("\">").append(r.id()).append("</a></td><td>")
                    .append(Html.esc(r.clientRequestId())).append("</td><td data-status=\"").append(r.id()).append("\">")
                    .append(Html.esc(r.status())).append("</td><td>").append(Html.esc(r.model())).append("</td><td>")
                    .append(Html.esc(r.sampler())).append("</td><td class=\"num\">")
                    .append(r.steps() == null ? Html.MISSING : r.steps()).append("</td><td>")
                    .append(Html.progress(r.id(), r.done(), r.total())).append("</td><td>").append(time(r.acceptedAt()))
                    .append("</td></tr>\n");
        }
        b.append("</table>");
        return Html.page("Runs", "", b.toString());
    }

    /**
     * {@code /runs/ID}: status and progress, the efficiency figures (every column of
     * {@link RunFigures#columns()}), stage times and one page of the contact sheet.
     *
     * @param page  1-based page of the contact sheet
     * @param cells the items of that page
     */
    public static String run(RunSummary r, Optional<RunFigures> figures, DashboardStore.StageTimes stages,
                             List<DashboardStore.SheetCell> cells, int page) {
        StringBuilder b = new StringBuilder();
        b.append("<table id=\"overview\">");
        row(b, "request", Html.esc(r.clientRequestId()));
        row(b, "model", Html.esc(r.model()));
        row(b, "status", "<span data-status=\"" + r.id() + "\">" + Html.esc(r.status()) + "</span>");
        row(b, "progress", Html.progress(r.id(), r.done(), r.total()) + " <span class=\"muted\">failed " + r.failed()
                + ", cancelled " + r.cancelled() + "</span>");
        row(b, "created", time(r.acceptedAt()));
        row(b, "started", time(r.startedAt()));
        row(b, "finished", time(r.finishedAt()));
        row(b, "outputs", Html.esc(r.outputDir()));
        b.append("</table>\n<h2>Efficiency</h2>\n");
        if (figures.isPresent()) {
            b.append("<table id=\"figures\">");
            for (Map.Entry<String, Object> e : figures.get().columns().entrySet()) {
                b.append("<tr><th>").append(Html.esc(e.getKey())).append("</th><td class=\"num\" data-figure=\"")
                        .append(Html.esc(e.getKey())).append("\">").append(Html.esc(Html.value(e.getValue())))
                        .append("</td></tr>");
            }
            b.append("</table>\n");
        } else {
            b.append("<p class=\"muted\" id=\"figures\">no finished items yet</p>\n");
        }
        b.append("<h2>Stage times per sample</h2>\n");
        if (stages.items() > 0) {
            b.append(Charts.bars(List.of(new Charts.Bar("tokenize", stages.tokenize()),
                    new Charts.Bar("text encode", stages.textEncode()), new Charts.Bar("denoise", stages.denoise()),
                    new Charts.Bar("decode", stages.decode()), new Charts.Bar("write", stages.write())), "s"));
            b.append("<p class=\"muted\">mean over ").append(stages.items()).append(" written items</p>\n");
        } else {
            b.append("<p class=\"muted\">no written items yet</p>\n");
        }
        long pages = Math.max(1, (r.total() + SHEET_PAGE - 1) / SHEET_PAGE);
        b.append("<h2>Contact sheet</h2>\n").append(pager(r.id(), page, pages));
        b.append("<div class=\"sheet\" id=\"sheet\">");
        for (DashboardStore.SheetCell c : cells) {
            String ref = r.id() + "/" + c.index();
            String tip = Html.esc("#" + c.index() + " seed " + c.seed() + ": " + c.prompt());
            if (c.mediaType() == null) {
                b.append("<span class=\"cell\" title=\"").append(tip).append("\">#").append(c.index()).append("<br>")
                        .append(Html.esc(c.status())).append("</span>");
            } else if (c.mediaType().startsWith("image/")) {
                b.append("<a href=\"/items/").append(ref).append("\"><img class=\"thumb\" src=\"/files/").append(ref)
                        .append("\" alt=\"").append(tip).append("\" title=\"").append(tip).append("\"></a>");
            } else {
                b.append("<a href=\"/items/").append(ref).append("\" title=\"").append(tip)
                        .append("\"><video class=\"thumb\" muted loop autoplay playsinline src=\"/files/").append(ref)
                        .append("\"></video></a>");
            }
        }
        b.append("</div>\n").append(pager(r.id(), page, pages));
        return Html.page("Run " + r.id(), "data-run=\"" + r.id() + "\"", b.toString());
    }

    private static String pager(long run, int page, long pages) {
        if (pages <= 1) {
            return "";
        }
        StringBuilder b = new StringBuilder("<p class=\"pager\">page ").append(page).append(" of ").append(pages);
        if (page > 1) {
            b.append(" <a href=\"/runs/").append(run).append("?page=").append(page - 1).append("\">previous</a>");
        }
        if (page < pages) {
            b.append(" <a href=\"/runs/").append(run).append("?page=").append(page + 1).append("\">next</a>");
        }
        return b.append("</p>\n").toString();
    }

    /**
     * {@code /items/RUN/INDEX}: every row about the item (what {@code item RUN/INDEX} prints),
     * its output, and a reproduce button; {@code result} is the outcome of a reproduction or null.
     */
    public static String item(ItemRecord r, Reproducer.Result result) {
        StringBuilder b = new StringBuilder();
        String ref = r.ref().toString();
        if (result != null) {
            boolean ok = result.matches();
            b.append("<section id=\"reproduce-result\" data-outcome=\"").append(ok ? "match" : "mismatch")
                    .append("\" class=\"").append(ok ? "match" : "mismatch").append("\"><strong>")
                    .append(ok ? "match: the item was made again bit for bit" : "MISMATCH: the re-made file differs")
                    .append("</strong><br>stored sha256 <code id=\"stored-sha256\">").append(Html.esc(result.storedSha256()))
                    .append("</code><br>new sha256 <code id=\"new-sha256\">").append(Html.esc(result.newSha256()))
                    .append("</code><br>").append(result.modelMatches() ? "model files unchanged"
                            : "model files changed since the item was made").append("</section>\n");
        }
        b.append("<p><a href=\"/runs/").append(r.ref().run()).append("\">run ").append(r.ref().run()).append("</a></p>\n");
        b.append("<table id=\"provenance\">");
        row(b, "item", Html.esc(ref));
        row(b, "request", Html.esc(r.clientRequestId()));
        row(b, "model", Html.esc(r.model()));
        row(b, "prompt", Html.esc(r.prompt()));
        row(b, "negative", Html.esc(r.negativePrompt()));
        row(b, "seed", Long.toString(r.seed()));
        row(b, "labels", Html.esc(r.labelsJson() == null ? "{}" : r.labelsJson()));
        row(b, "status", Html.esc(r.status() + ", attempts " + r.attempts()
                + (r.worker() == null ? "" : ", worker " + r.worker())));
        if (r.error() != null) {
            row(b, "error", Html.esc(r.error()));
        }
        if (!r.output().isEmpty()) {
            row(b, "output", Html.esc(Path.of(r.outputDir()).resolve(String.valueOf(r.output().get("path")))));
            row(b, "sha256", "<code id=\"sha256\">" + Html.esc(r.output().get("sha256")) + "</code>");
            row(b, "media type", Html.esc(r.output().get("media_type")));
            row(b, "bytes", Html.esc(r.output().get("bytes")));
            row(b, "written", Html.esc(r.output().get("created_at")));
        }
        for (Map.Entry<String, Object> e : r.stats().entrySet()) {
            row(b, Html.esc(e.getKey()), Html.esc(Html.value(e.getValue())));
        }
        b.append("</table>\n");
        if (!r.output().isEmpty()) {
            String media = String.valueOf(r.output().get("media_type"));
            b.append("<h2>Output</h2>\n").append(media.startsWith("image/")
                    ? "<img class=\"full\" id=\"output\" src=\"/files/" + ref + "\" alt=\"" + Html.esc(r.prompt()) + "\">"
                    : "<video class=\"full\" id=\"output\" controls loop src=\"/files/" + ref + "\"></video>");
            b.append("\n<form id=\"reproduce-form\" method=\"post\" action=\"/items/").append(ref)
                    .append("/reproduce\"><p><button type=\"submit\">reproduce</button> <span class=\"muted\">make it again "
                            + "from these rows alone and compare sha256</span></p></form>\n");
        }
        b.append("<h2>Request</h2>\n<pre id=\"request\">").append(Html.esc(pretty(r.requestSpec()))).append("</pre>\n");
        return Html.page("Item " + ref, "", b.toString());
    }

    /**
     * {@code /quality}: quality against NFE, one series per model + sampler, from the runs with
     * FID or adherence, and the Pareto front of each; a note when no run was measured.
     */
    public static String quality(List<RunFigures> runs) {
        List<RunFigures> fid = runs.stream().filter(f -> finite(f.fid())).toList();
        List<RunFigures> adh = runs.stream().filter(f -> finite(f.adherence())).toList();
        StringBuilder b = new StringBuilder();
        if (fid.isEmpty() && adh.isEmpty()) {
            b.append("<p id=\"no-quality\" class=\"muted\">no measured runs yet: quality (FID, adherence) appears here "
                    + "once runs have it</p>");
            return Html.page("Quality vs NFE", "", b.toString());
        }
        metric(b, "FID", "fid", fid, RunFigures::fid, false);
        metric(b, "adherence", "adherence", adh, RunFigures::adherence, true);
        return Html.page("Quality vs NFE", "", b.toString());
    }

    private static void metric(StringBuilder b, String name, String id, List<RunFigures> runs,
                               java.util.function.Function<RunFigures, Double> q, boolean higherIsBetter) {
        if (runs.isEmpty()) {
            return;
        }
        b.append("<h2>").append(name).append(" vs NFE <span class=\"muted\">(")
                .append(higherIsBetter ? "higher" : "lower").append(" is better)</span></h2>\n");
        Map<String, List<Charts.Point>> bySeries = new LinkedHashMap<>();
        for (RunFigures f : runs) {
            bySeries.computeIfAbsent(f.model() + " · " + f.sampler(), k -> new ArrayList<>())
                    .add(new Charts.Point(f.nfe(), q.apply(f), "run " + f.run() + ": " + f.model() + " " + f.sampler()
                            + ", NFE " + Html.value(f.nfe()) + ", " + name + " " + Html.value(q.apply(f))));
        }
        List<Charts.Series> series = bySeries.entrySet().stream().map(e -> new Charts.Series(e.getKey(), e.getValue())).toList();
        ToDoubleFunction<RunFigures> quality = f -> q.apply(f);
        List<RunFigures> front = ParetoFront.of(runs, RunFigures::nfe, quality, higherIsBetter);
        List<Charts.Point> line = front.stream().map(f -> new Charts.Point(f.nfe(), q.apply(f), "run " + f.run())).toList();
        b.append("<div id=\"chart-").append(id).append("\">").append(Charts.scatter(series, line, "NFE per sample", name))
                .append("</div>\n<p class=\"muted\">dashed: the Pareto front</p>\n");
        b.append("<h2>Pareto front: cheapest NFE for each ").append(name).append(" level</h2>\n<table id=\"pareto-")
                .append(id).append("\"><tr><th>NFE</th><th>").append(name)
                .append("</th><th>run</th><th>model</th><th>sampler</th><th>steps</th></tr>");
        for (RunFigures f : front) {
            b.append("<tr><td class=\"num\">").append(Html.value(f.nfe())).append("</td><td class=\"num\">")
                    .append(Html.value(q.apply(f))).append("</td><td><a href=\"/runs/").append(f.run()).append("\">")
                    .append(f.run()).append("</a></td><td>").append(Html.esc(f.model())).append("</td><td>")
                    .append(Html.esc(f.sampler())).append("</td><td class=\"num\">").append(f.steps()).append("</td></tr>");
        }
        b.append("</table>\n");
    }

    /** {@code /rejected}: refused inputs, newest first, with their reasons. */
    public static String rejected(List<RejectionStore.Rejection> rejections) {
        StringBuilder b = new StringBuilder();
        if (rejections.isEmpty()) {
            b.append("<p class=\"muted\">no rejected inputs</p>");
            return Html.page("Rejected inputs", "", b.toString());
        }
        b.append("<table id=\"rejected\"><tr><th>#</th><th>received</th><th>source</th><th>request</th><th>reasons</th>"
                + "<th>bytes</th></tr>\n");
        for (RejectionStore.Rejection r : rejections) {
            b.append("<tr><td class=\"num\">").append(r.id()).append("</td><td>").append(time(r.receivedAt()))
                    .append("</td><td>").append(Html.esc(r.source())).append("</td><td>")
                    .append(r.clientRequestId() == null ? "<span class=\"muted\">unreadable</span>" : Html.esc(r.clientRequestId()))
                    .append("</td><td>").append(reasons(r.reasonsJson())).append("</td><td class=\"num\">")
                    .append(r.payloadBytes()).append("</td></tr>\n");
        }
        b.append("</table>");
        return Html.page("Rejected inputs", "", b.toString());
    }

    private static String reasons(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n.isArray()) {
                StringBuilder b = new StringBuilder("<ul>");
                for (JsonNode v : n) {
                    b.append("<li><code>").append(Html.esc(v.path("field").asString(""))).append("</code> ")
                            .append(Html.esc(v.path("rule").asString(""))).append(": ")
                            .append(Html.esc(v.path("message").asString(""))).append("</li>");
                }
                return b.append("</ul>").toString();
            }
        } catch (RuntimeException e) {
            // shown raw below
        }
        return "<code>" + Html.esc(json) + "</code>";
    }

    /** An error page: the status and the message, never a stack trace. */
    public static String error(int status, String message) {
        String title = switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            default -> "Error";
        };
        return Html.page(status + " " + title, "", "<p class=\"error\" id=\"error\">" + Html.esc(message) + "</p>");
    }

    private static void row(StringBuilder b, String name, String valueHtml) {
        b.append("<tr><th>").append(name).append("</th><td>").append(valueHtml).append("</td></tr>");
    }

    private static String time(Instant t) {
        return t == null ? Html.MISSING : Html.esc(t.toString().replace('T', ' ').replaceAll("\\.\\d+Z$", "Z"));
    }

    private static boolean finite(Double d) {
        return d != null && Double.isFinite(d);
    }

    private static String pretty(String json) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
        } catch (RuntimeException e) {
            return json;
        }
    }
}
