package io.diffusionbatch.web;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.chart.SvgChart;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.DatasetAudit;
import io.diffusionbatch.ledger.DashboardStore.QualityPoint;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RunSummary;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.sweep.ParetoFront;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What each dashboard page shows, as values for its Mustache template ({@code templates/dashboard/}):
 * plain text (the templates escape it) and, for charts only, SVG made by {@link SvgChart} from
 * numbers. Builders are pure functions of ledger values. Stateless and thread-safe.
 */
public final class Views {

    /** Thumbnails per page of a run's contact sheet. */
    public static final int SHEET_PAGE = 48;

    private static final JsonMapper JSON = Json.MAPPER;

    private Views() {
    }

    /** The frame of every page: its title and, on a run's page, the run the progress script follows. */
    public record Layout(String title, Long bodyRun) {
    }

    /** A progress bar: {@code percent} is the done share with one decimal. */
    public record Progress(long run, long done, long total, String percent) {

        static Progress of(RunSummary r) {
            return new Progress(r.id(), r.done(), r.total(),
                    String.format(Locale.ROOT, "%.1f", r.total() == 0 ? 0 : 100.0 * r.done() / r.total()));
        }
    }

    /** A row of the runs list. */
    public record RunRow(long id, String requestId, String status, String model, String sampler, String steps,
                         Progress progress, String created) {
    }

    /** {@code /}: the runs, newest first. */
    public record RunsPage(Layout layout, boolean hasRuns, List<RunRow> runs) {
    }

    /** A figure's name and its value as shown. */
    public record Figure(String name, String value) {
    }

    /** The stage-time bars ({@code svg}) over {@code items} written items. */
    public record Stages(String svg, long items) {
    }

    /**
     * A contact sheet cell: an image, a video, or (neither) the item's status.
     *
     * @param ref {@code RUN/INDEX}
     * @param tip index, seed and prompt, shown on hover
     */
    public record Cell(String ref, long index, String tip, boolean image, boolean video, boolean none, String status) {
    }

    /** Page {@code page} of {@code pages}; {@code previous}/{@code next} are null at the ends. */
    /** Cluster mode: one claim of a partition by a worker. */
    public record PartitionRow(String partition, int attempt, String worker, String started, String seconds,
                               String outcome) {
    }

    /** The partitions a run's workers ran, attempt by attempt; absent in local mode. */
    public record Partitions(List<PartitionRow> rows) {
    }

    /** The run page's partitions section, or null when no worker ran any (local mode). */
    public static Partitions partitions(List<io.diffusionbatch.ledger.PartitionStore.Attempt> attempts) {
        if (attempts.isEmpty()) {
            return null;
        }
        List<PartitionRow> rows = new java.util.ArrayList<>();
        for (io.diffusionbatch.ledger.PartitionStore.Attempt a : attempts) {
            String seconds = a.endedAt() == null ? "running"
                    : String.format(java.util.Locale.ROOT, "%.1f",
                    java.time.Duration.between(a.startedAt(), a.endedAt()).toMillis() / 1000.0);
            String name = a.name().substring(a.name().lastIndexOf(':') + 1);
            rows.add(new PartitionRow(name, a.attempt(), a.worker(), Format.time(a.startedAt()), seconds,
                    a.outcome() == null ? "running" : a.outcome()));
        }
        return new Partitions(rows);
    }

    public record Pager(long run, int page, long pages, Integer previous, Integer next) {
    }

    /**
     * {@code /runs/ID}.
     *
     * @param figures null when no item is finished yet
     * @param stages  null when no item was written yet
     * @param pager   null when the sheet has one page
     */
    public record RunPage(Layout layout, long id, String requestId, String model, String status, Progress progress,
                          long failed, long cancelled, String created, String started, String finished,
                          String outputDir, boolean hasFigures, List<Figure> figures, Stages stages,
                          Pager pager, List<Cell> cells) {
    }

    /** The written output of an item. */
    public record Output(String file, String sha256, String mediaType, String bytes, String written, boolean image) {
    }

    /** The outcome of a reproduction: {@code outcome} is {@code match} or {@code mismatch}. */
    public record Reproduction(String outcome, String headline, String stored, String made, String modelNote) {
    }

    /**
     * {@code /items/RUN/INDEX}.
     *
     * @param error  null when the item has none
     * @param output null when nothing was written
     * @param result null unless the page answers a reproduce
     */
    public record ItemPage(Layout layout, Reproduction result, long run, String ref, String requestId, String model,
                           String prompt, String negative, long seed, String labels, String status, String error,
                           Output output, List<Figure> stats, String requestJson) {
    }

    /** A series' legend entry: its colour in the chart and its name (model · sampler). */
    public record LegendEntry(String colour, String name) {
    }

    /** A row of a quality table. */
    public record QualityRow(long run, String model, String sampler, int steps, String nfe, String value,
                             boolean smallSample) {
    }

    /**
     * One quality figure against NFE: the chart, its legend and the Pareto front.
     *
     * @param id          {@code fid} or {@code adherence} (element ids)
     * @param svg         the chart, drawn from numbers only (names are in the legend)
     * @param smallSample whether some point is an FID over a small sample (hollow marker)
     */
    public record Metric(String id, String name, String direction, String svg, List<LegendEntry> legend,
                         boolean smallSample, int smallSampleImages, List<QualityRow> front) {
    }

    /** A measured run, as the quality page's table lists it. */
    public record MeasuredRow(long run, String model, String sampler, int steps, String nfe, String fid,
                              String adherence) {
    }

    /** {@code /quality}. */
    public record QualityPage(Layout layout, boolean measured, List<Metric> metrics, List<MeasuredRow> runs) {
    }

    /** A reason a request was refused: the field, the rule, the message. */
    public record Reason(String field, String rule, String message) {
    }

    /**
     * A row of the rejected inputs list.
     *
     * @param requestId  null when it could not be read
     * @param listed     whether the stored reasons are a list ({@code reasons}); else {@code rawReasons} is shown
     */
    public record RejectedRow(long id, String received, String source, String requestId, boolean listed,
                              List<Reason> reasons, String rawReasons, int bytes) {
    }

    /** {@code /rejected}. */
    public record RejectedPage(Layout layout, boolean hasRejections, List<RejectedRow> rejections) {
    }

    /**
     * A night of a dataset, as {@code /datasets} lists it.
     *
     * @param message why the night failed; null otherwise
     * @param gate   {@code passed}, {@code failed}, or {@link Format#MISSING} before the export
     * @param splits {@code train 54, validation 6}, or {@link Format#MISSING} before the export
     * @param card   whether the night has an export, whose card {@code /datasets/RUN/card} serves
     */
    public record NightRow(String night, long run, String status, String message, long exported, long rejected,
                           long missing, long total, String splits, String gate, boolean card) {
    }

    /** A dataset and its nights, newest first. */
    public record DatasetRows(String name, List<NightRow> nights) {
    }

    /** {@code /datasets}. */
    public record DatasetsPage(Layout layout, boolean hasNights, List<DatasetRows> datasets) {
    }

    /** {@code /datasets}: the nights grouped by dataset, datasets in the order of their newest night. */
    public static DatasetsPage datasets(List<DatasetAudit.Night> nights) {
        Map<String, List<NightRow>> byDataset = new LinkedHashMap<>();
        for (DatasetAudit.Night n : nights) {
            String splits = n.splits().isEmpty() ? Format.MISSING : n.splits().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
            String gate = n.gatePassed() == null ? Format.MISSING : n.gatePassed() ? "passed" : "failed";
            byDataset.computeIfAbsent(n.dataset(), k -> new ArrayList<>()).add(new NightRow(n.night(), n.run(),
                    n.status().text(), n.message(), n.itemsExported(), n.itemsRejected(),
                    n.itemsMissing(), n.itemsTotal(), splits, gate, n.exportDir() != null));
        }
        List<DatasetRows> rows = byDataset.entrySet().stream().map(e -> new DatasetRows(e.getKey(), e.getValue())).toList();
        return new DatasetsPage(new Layout("Datasets", null), !rows.isEmpty(), rows);
    }

    /** An error page: status and message, never a stack trace. */
    public record ErrorPage(Layout layout, int status, String message) {
    }

    public static RunsPage runs(List<RunSummary> runs) {
        List<RunRow> rows = runs.stream().map(r -> new RunRow(r.id(), r.clientRequestId(), r.status().sql(), r.model(),
                r.sampler(), r.steps() == null ? Format.MISSING : r.steps().toString(), Progress.of(r),
                Format.time(r.acceptedAt()))).toList();
        return new RunsPage(new Layout("Runs", null), !rows.isEmpty(), rows);
    }

    /**
     * {@code /runs/ID}: status and progress, the efficiency figures (every column of
     * {@link RunFigures#columns()}, FID with its number of images), stage times and one page of
     * the contact sheet.
     *
     * @param root      where the run's folder is shown on this instance
     * @param fidImages images the run's FID was computed over (ignored when it has none)
     * @param page      1-based page of the contact sheet
     * @param cells     the items of that page
     */
    public static RunPage run(RunSummary r, OutputRoot root, Optional<RunFigures> figures, int fidImages,
                              DashboardStore.StageTimes stages, List<DashboardStore.SheetCell> cells, int page) {
        List<Figure> rows = new ArrayList<>();
        figures.ifPresent(f -> f.columns().forEach((k, v) -> rows.add(new Figure(k,
                k.equals("FID") ? Format.fid(f.fid(), fidImages) : Format.figure(v)))));
        Stages bars = null;
        if (stages.items() > 0) {
            List<SvgChart.Bar> b = new ArrayList<>();
            for (Object[] s : new Object[][]{{"tokenize", stages.tokenize()}, {"text encode", stages.textEncode()},
                    {"denoise", stages.denoise()}, {"decode", stages.decode()}, {"write", stages.write()}}) {
                double v = (Double) s[1];
                b.add(new SvgChart.Bar((String) s[0], v, Format.figure(v) + " s"));
            }
            bars = new Stages(SvgChart.bars(b), stages.items());
        }
        long pages = Math.max(1, (r.total() + SHEET_PAGE - 1) / SHEET_PAGE);
        Pager pager = pages <= 1 ? null : new Pager(r.id(), page, pages, page > 1 ? page - 1 : null,
                page < pages ? page + 1 : null);
        List<Cell> sheet = cells.stream().map(c -> {
            String media = c.mediaType();
            boolean image = media != null && media.startsWith("image/");
            return new Cell(r.id() + "/" + c.index(), c.index(), "#" + c.index() + " seed " + c.seed() + ": " + c.prompt(),
                    image, media != null && !image, media == null, c.status().sql());
        }).toList();
        return new RunPage(new Layout("Run " + r.id(), r.id()), r.id(), r.clientRequestId(), r.model(), r.status().sql(),
                Progress.of(r), r.failed(), r.cancelled(), Format.time(r.acceptedAt()), Format.time(r.startedAt()),
                Format.time(r.finishedAt()), root.shown(r.id(), r.outputDir()), figures.isPresent(), rows, bars, pager, sheet);
    }

    /**
     * {@code /items/RUN/INDEX}: every row about the item (what {@code item RUN/INDEX} prints), its
     * output (its file as found under {@code root}) and, when {@code result} is not null, the outcome of a reproduction.
     */
    public static ItemPage item(ItemRecord r, OutputRoot root, Reproducer.Result result) {
        Reproduction rep = null;
        if (result != null) {
            boolean ok = result.matches();
            rep = new Reproduction(ok ? "match" : "mismatch",
                    ok ? "match: the item was made again bit for bit" : "MISMATCH: the re-made file differs",
                    result.storedSha256(), result.newSha256(),
                    result.modelMatches() ? "model files unchanged" : "model files changed since the item was made");
        }
        Output output = null;
        if (!r.output().isEmpty()) {
            Map<String, Object> o = r.output();
            output = new Output(root.shown(r.ref().run(), r.outputDir() + "/" + o.get("path")),
                    String.valueOf(o.get("sha256")), String.valueOf(o.get("media_type")), String.valueOf(o.get("bytes")),
                    String.valueOf(o.get("created_at")), String.valueOf(o.get("media_type")).startsWith("image/"));
        }
        List<Figure> stats = new ArrayList<>();
        r.stats().forEach((k, v) -> stats.add(new Figure(k, Format.figure(v))));
        return new ItemPage(new Layout("Item " + r.ref(), null), rep, r.ref().run(), r.ref().toString(), r.clientRequestId(),
                r.model(), r.prompt(), r.negativePrompt() == null ? "" : r.negativePrompt(), r.seed(),
                r.labelsJson() == null ? "{}" : r.labelsJson(),
                r.status() + ", attempts " + r.attempts() + (r.worker() == null ? "" : ", worker " + r.worker()),
                r.error(), output, stats, pretty(r.requestSpec()));
    }

    /**
     * {@code /quality}: FID and adherence (in percent, 0–100 %) against NFE per sample on a log
     * axis, one series per model + sampler, each with its Pareto front; an FID over fewer than
     * {@link Format#FID_SMALL_SAMPLE} images is a hollow marker and says so in the tables.
     *
     * @param runs measured runs, newest first
     */
    public static QualityPage quality(List<QualityPoint> runs) {
        List<QualityPoint> fid = runs.stream().filter(q -> finite(q.fid())).toList();
        List<QualityPoint> adh = runs.stream().filter(q -> finite(q.adherence())).toList();
        List<Metric> metrics = new ArrayList<>();
        if (!fid.isEmpty()) {
            metrics.add(metric("fid", "FID", fid, QualityPoint::fid, false));
        }
        if (!adh.isEmpty()) {
            metrics.add(metric("adherence", "adherence", adh, QualityPoint::adherence, true));
        }
        List<MeasuredRow> table = runs.stream().filter(q -> finite(q.fid()) || finite(q.adherence()))
                .map(q -> new MeasuredRow(q.run(), q.model(), q.sampler(), q.steps(), Format.figure(q.nfe()),
                        Format.fid(q.fid(), q.fidItems()), Format.percent(q.adherence()))).toList();
        return new QualityPage(new Layout("Quality vs NFE", null), !metrics.isEmpty(), metrics, table);
    }

    private static Metric metric(String id, String name, List<QualityPoint> runs, Function<QualityPoint, Double> q,
                                 boolean higherIsBetter) {
        boolean fid = !higherIsBetter;
        Map<String, List<SvgChart.Point>> bySeries = new LinkedHashMap<>();
        boolean anySmall = false;
        for (QualityPoint p : runs) {
            boolean small = fid && Format.smallSample(p.fidItems());
            anySmall |= small;
            bySeries.computeIfAbsent(p.model() + " · " + p.sampler(), k -> new ArrayList<>())
                    .add(new SvgChart.Point(p.nfe(), fid ? p.fid() : 100 * p.adherence(), tooltip(p, fid),
                            small ? SvgChart.Marker.HOLLOW : SvgChart.Marker.FILLED));
        }
        List<SvgChart.Series> series = new ArrayList<>();
        List<LegendEntry> legend = new ArrayList<>();
        for (Map.Entry<String, List<SvgChart.Point>> e : bySeries.entrySet()) {
            legend.add(new LegendEntry(SvgChart.colour(series.size()), e.getKey()));
            series.add(new SvgChart.Series("series " + series.size(), e.getValue()));
        }
        List<QualityPoint> front = ParetoFront.of(runs, QualityPoint::nfe, p -> q.apply(p), higherIsBetter);
        List<SvgChart.Point> line = front.stream()
                .map(p -> new SvgChart.Point(p.nfe(), fid ? p.fid() : 100 * p.adherence(), "run " + p.run())).toList();
        SvgChart.Axis y = fid ? SvgChart.Axis.from("FID (lower is better)", 0)
                : SvgChart.Axis.fixed("adherence (higher is better)", 0, 100, " %");
        String svg = SvgChart.scatter(new SvgChart.Scatter(SvgChart.Axis.log("NFE per sample (log scale)"), y, series,
                line), 640, 340);
        List<QualityRow> rows = front.stream().map(p -> new QualityRow(p.run(), p.model(), p.sampler(), p.steps(),
                Format.figure(p.nfe()), fid ? Format.fid(p.fid(), p.fidItems()) : Format.percent(p.adherence()),
                fid && Format.smallSample(p.fidItems()))).toList();
        return new Metric(id, name, higherIsBetter ? "higher" : "lower", svg, legend, anySmall, Format.FID_SMALL_SAMPLE,
                rows);
    }

    /** A point's tooltip: numbers only (the names are in the legend, outside the SVG). */
    private static String tooltip(QualityPoint p, boolean fid) {
        return "run " + p.run() + " · " + p.steps() + " steps · NFE " + Format.figure(p.nfe()) + " · "
                + (fid ? "FID " + Format.fid(p.fid(), p.fidItems()) : "adherence " + Format.percent(p.adherence()));
    }

    /** {@code /rejected}: refused inputs, newest first, with their reasons. */
    public static RejectedPage rejected(List<RejectionStore.Rejection> rejections) {
        List<RejectedRow> rows = rejections.stream().map(r -> {
            List<Reason> reasons = reasons(r.reasonsJson());
            return new RejectedRow(r.id(), Format.time(r.receivedAt()), r.source(), r.clientRequestId(), reasons != null,
                    reasons == null ? List.of() : reasons, r.reasonsJson(), r.payloadBytes());
        }).toList();
        return new RejectedPage(new Layout("Rejected inputs", null), !rows.isEmpty(), rows);
    }

    private static List<Reason> reasons(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n.isArray()) {
                List<Reason> out = new ArrayList<>();
                for (JsonNode v : n) {
                    out.add(new Reason(v.path("field").asString(""), v.path("rule").asString(""),
                            v.path("message").asString("")));
                }
                return out;
            }
        } catch (RuntimeException e) {
            // shown raw
        }
        return null;
    }

    /** An error page. */
    public static ErrorPage error(int status, String message) {
        String title = switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            default -> "Error";
        };
        return new ErrorPage(new Layout(status + " " + title, null), status, message);
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
