package io.diffusionbatch.job;

import io.diffusionbatch.dataset.DatasetCard;
import io.diffusionbatch.dataset.DatasetExport;
import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.InvalidSpecException;
import io.diffusionbatch.dataset.QualityGate;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.DatasetStore;
import io.diffusionbatch.ledger.DatasetStore.ExportItem;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.output.OutputRefusedException;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.DatasetTag;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.InvalidRequestException;
import io.diffusionbatch.request.OutputLocation;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Step 4 of a dataset night (a request with a {@code dataset} field; other runs pass through): writes the night's
 * export ({@link DatasetExport}: imagefolder, WebDataset shards, card, SHA256SUMS) under the output root, applies the
 * spec's quality gate, records the night and its exclusions in the ledger, and deletes the files of nights beyond
 * the spec's retention. The export is written into a staging folder beside its final one and moved into place
 * whole, so a crash leaves either the previous export or none, never half of one; running the step again (a
 * resumed night, {@code dataset export}) writes the same bytes. A cancelled run is not exported. Stateless and
 * thread-safe.
 */
@Component
public class ExportTasklet implements Tasklet {

    private static final Logger LOG = LoggerFactory.getLogger(ExportTasklet.class);
    private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {
    };
    private static final int PAGE = 512;

    private final RequestStore requests;
    private final DatasetStore datasets;
    private final QualityStore quality;
    private final RunFiguresReader figures;
    private final ModelRegistry models;
    private final RequestLimits limits;
    private final OutputRoot root;
    private final OutputStore files;

    public ExportTasklet(RequestStore requests, DatasetStore datasets, QualityStore quality, RunFiguresReader figures,
                         ModelRegistry models, RequestLimits limits, OutputRoot root, OutputStore files) {
        this.requests = requests;
        this.datasets = datasets;
        this.quality = quality;
        this.figures = figures;
        this.models = models;
        this.limits = limits;
        this.root = root;
        this.files = files;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        long requestId = chunkContext.getStepContext().getStepExecution().getJobExecution().getJobParameters()
                .getLong(GenerationJobConfig.REQUEST_ID);
        if (requests.isCancelling(requestId)) {
            LOG.info("run {}: cancelled, not exported", requestId);
            return RepeatStatus.FINISHED;
        }
        export(requestId);
        return RepeatStatus.FINISHED;
    }

    /**
     * Exports the run if it is a dataset night; the recorded night, or null for other runs.
     *
     * @throws IOException when the export cannot be written or an output differs from the ledger
     */
    public DatasetStore.@Nullable Night export(long requestId) throws IOException, InvalidSpecException {
        RequestRow run = requests.find(requestId).orElseThrow(() -> new IllegalArgumentException("no run " + requestId));
        if (!Json.MAPPER.readTree(run.spec()).has("dataset")) {
            return null; // an ordinary run: nothing to export
        }
        // intake checked the request and its spec when it accepted the night; read them again without today's
        // limits, so that a lower limit set since does not stop a night already made from being exported
        GenerationRequest request;
        CatalogModel model = models.find(run.model()).orElseThrow(() -> new IllegalStateException("run " + requestId
                + ": model " + run.model() + " is no longer in the catalog, and a night's metadata needs its settings"));
        try {
            request = RequestParser.parse(run.spec().getBytes(StandardCharsets.UTF_8), limits.withMaxItems(Long.MAX_VALUE)
                    .withMaxPayloadBytes(Integer.MAX_VALUE).withBatchMemory(limits.microBatch(),
                            RequestLimits.NO_MEMORY_LIMIT), models);
        } catch (InvalidRequestException e) {
            throw new IllegalStateException("run " + requestId + ": its stored request no longer parses: "
                    + e.getMessage(), e);
        }
        DatasetTag tag = request.dataset();
        if (tag == null) {
            return null;
        }
        long start = System.nanoTime();
        DatasetSpec spec = DatasetSpecParser.parseStored(Json.MAPPER.readTree(tag.specJson()));
        ObjectNode params = params(request.samplingParams(model), model.isVideo(), request);
        Path runDir = root.folder(run.id(), run.outputDir());
        String exportRel = spec.exportLocation(tag.night());
        Path exportDir = resolve(exportRel);
        String leaf = "." + exportDir.getFileName();
        sweep(exportDir.getParent(), leaf);
        // a staging folder of this attempt's own: a second export of the night at once writes its own
        Path staging = exportDir.resolveSibling(leaf + ".staging-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectories(staging);
        try {
            return export(requestId, run, request, tag, spec, params, runDir, exportRel, exportDir, staging, start);
        } finally {
            deleteTree(staging); // gone already when the export moved into place
        }
    }

    private DatasetStore.Night export(long requestId, RequestRow run, GenerationRequest request, DatasetTag tag,
                                      DatasetSpec spec, ObjectNode params, Path runDir, String exportRel,
                                      Path exportDir, Path staging, long start) throws IOException {

        QualityGate gate = spec.gate() == null ? null : new QualityGate(spec.gate());
        List<DatasetStore.Exclusion> excluded = new ArrayList<>();
        Map<String, Long> byReason = new TreeMap<>();
        long total = 0;
        long rejected = 0;
        String modelSha = null;
        DatasetExport export = new DatasetExport(staging, spec);
        String dataSha;
        try (export) {
            long after = -1;
            for (List<ExportItem> page; !(page = datasets.items(requestId, after, PAGE)).isEmpty(); ) {
                after = page.get(page.size() - 1).index();
                for (ExportItem item : page) {
                    total++;
                    Map<String, String> readings = map(item.readingsJson());
                    Map<String, String> expected = map(item.expectedJson());
                    QualityGate.Rejection no = missing(item);
                    if (no == null && gate != null) {
                        no = gate.judge(readings, expected);
                    }
                    if (no != null) {
                        excluded.add(new DatasetStore.Exclusion(item.index(), no.reason(), no.detail()));
                        byReason.merge(no.reason(), 1L, Long::sum);
                        rejected += no.reason().startsWith("gate") || no.reason().equals(QualityGate.UNASSESSED) ? 1 : 0;
                        continue;
                    }
                    modelSha = modelSha == null ? item.modelSha256() : modelSha;
                    byte[] media = read(runDir, item);
                    ObjectNode q = null;
                    if (readings != null) {
                        q = Json.MAPPER.createObjectNode();
                        q.set("readings", Json.MAPPER.valueToTree(new TreeMap<>(readings)));
                        q.set("expected", expected == null ? null : Json.MAPPER.valueToTree(new TreeMap<>(expected)));
                        if (item.adherent() == null) {
                            q.putNull("adherent");
                        } else {
                            q.put("adherent", item.adherent());
                        }
                        Double score = QualityGate.score(readings, expected);
                        if (score == null) {
                            q.putNull("score");
                        } else {
                            q.put("score", score);
                        }
                    }
                    ObjectNode itemParams = params.deepCopy();
                    // what the item was made with, as the ledger recorded it
                    itemParams.put("sampler", item.sampler());
                    itemParams.put("steps", item.steps());
                    itemParams.put("guidance", item.guidance());
                    itemParams.put("nfe", item.nfe());
                    export.add(DatasetExport.metadata(item.index(), spec.splits().assign(item.prompt(), item.seed()),
                            item.prompt(), item.negative(), item.seed(), labels(item.labelsJson()), spec.model(),
                            item.modelSha256(), item.sha256(), item.mediaType(), itemParams, q), media);
                }
            }
            dataSha = export.finishData();
        }
        double share = total == 0 ? 0 : (double) rejected / total;
        long exported = export.counts().values().stream().mapToLong(Long::longValue).sum();
        String failure = spec.gate() != null && share > spec.gate().maxRejected()
                ? String.format(java.util.Locale.ROOT, "%d of %d items (%.4f) rejected, more than the gate's maxRejected "
                + "%.4f", rejected, total, share, spec.gate().maxRejected())
                : exported == 0 && total > 0 ? "no item was exported (" + (total - rejected) + " failed or cancelled, "
                + rejected + " rejected)" : null;
        RunFigures f = figures.read(requestId).orElse(null);
        DatasetCard.Figures cardFigures = f == null ? new DatasetCard.Figures(null, null, null, null, null, null, null)
                : new DatasetCard.Figures(f.nfe(), f.flopsPerSample() / 1e9, f.secondsPerSample(),
                f.energyJoulesPerSample(), f.gco2Per1kSamples() == null ? null : f.gco2Per1kSamples() / 1000,
                f.device() + " (" + f.provider() + ")", f.energySource());
        DatasetCard.Quality cardQuality = quality.find(requestId).map(q -> new DatasetCard.Quality(
                Path.of(q.evaluator()).getFileName().toString(), q.assessed(), q.labelled(), q.adherence(), q.fid()))
                .orElse(null);
        List<DatasetCard.Excluded> listed = excluded.stream()
                .map(e -> new DatasetCard.Excluded(e.index(), e.reason(), e.detail())).toList();
        String card = DatasetCard.render(new DatasetCard.Content(spec, tag.night(), request.requestId(), requestId,
                modelSha == null ? "-" : modelSha, total, export.counts(), export.shards(), byReason, listed, share,
                failure, cardFigures, cardQuality, dataSha));
        DatasetExport.FileSum cardSum = export.writeCard(card);

        // the previous export (a night exported again) is renamed away, the new one moved in, then the old deleted:
        // a crash in between leaves one whole export or none in place, and a stale .old folder the next export sweeps
        Path old = exportDir.resolveSibling("." + exportDir.getFileName() + ".old-" + UUID.randomUUID().toString()
                .substring(0, 8));
        if (Files.exists(exportDir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.move(exportDir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, exportDir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        long bytes = export.files().stream().mapToLong(DatasetExport.FileSum::bytes).sum()
                + Files.size(exportDir.resolve("SHA256SUMS")) + cardSum.bytes();
        DatasetStore.Night night = new DatasetStore.Night(requestId, spec.name(), tag.night(), tag.specSha256(),
                failure == null ? "exported" : "failed", failure == null, failure, total, exported, rejected,
                total - exported - rejected, Json.MAPPER.writeValueAsString(export.counts()), exportRel,
                cardSum.sha256(), export.files().size() + 2, bytes, (System.nanoTime() - start) / 1e9);
        datasets.record(night, excluded);
        LOG.info("run {}: dataset {} night {} exported to {}: {} of {} items ({} rejected by the gate){}", requestId,
                spec.name(), tag.night(), exportRel, exported, total, rejected, failure == null ? "" : "; FAILED: " + failure);
        if (spec.keepNights() != null) {
            prune(spec, requestId, exportRel, run.outputDir());
        }
        return night;
    }

    /**
     * Deletes what earlier exports of this night left beside its folder: {@code .old} folders (superseded
     * exports) and {@code .staging} folders older than a day (a crashed attempt's).
     */
    private static void sweep(Path parent, String leaf) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        java.time.Instant dayAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
        try (java.util.stream.Stream<Path> siblings = Files.list(parent)) {
            for (Path p : siblings.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(leaf + ".old-") || (n.startsWith(leaf + ".staging-")
                        && Files.getLastModifiedTime(p).toInstant().isBefore(dayAgo))) {
                    deleteTree(p);
                }
            }
        }
    }

    /**
     * Deletes the files of the dataset's nights beyond its retention: never the night just exported nor a folder
     * it uses, and only folders under the spec's location (a night's rows say where its folders are).
     */
    private void prune(DatasetSpec spec, long current, String currentExport, String currentRun) {
        String under = spec.location() + "/";
        for (DatasetStore.Prunable p : datasets.beyondRetention(spec.name(), spec.keepNights())) {
            if (p.requestId() == current) {
                continue;
            }
            if (!p.exportDir().startsWith(under) || !p.runDir().startsWith(under)
                    || p.exportDir().equals(currentExport) || p.runDir().equals(currentRun)) {
                LOG.warn("dataset {}: night {} (run {}) not pruned: its folders {} and {} are not its own under {}",
                        spec.name(), p.night(), p.requestId(), p.exportDir(), p.runDir(), spec.location());
                continue;
            }
            try {
                deleteTree(resolve(p.exportDir()));
                deleteTree(root.folder(p.requestId(), p.runDir()));
                datasets.markPruned(p.requestId());
                LOG.info("dataset {}: night {} (run {}) pruned: more than {} nights", spec.name(), p.night(),
                        p.requestId(), spec.keepNights());
            } catch (IOException | RuntimeException e) {
                LOG.warn("dataset {}: night {} (run {}) not pruned: {}", spec.name(), p.night(), p.requestId(),
                        e.getMessage());
            }
        }
    }

    private Path resolve(String location) throws IOException {
        try {
            Files.createDirectories(root.path());
            return OutputLocation.resolve(root.path(), location);
        } catch (InvalidRequestException e) {
            throw new IOException("export folder " + location + ": " + e.getMessage(), e);
        }
    }

    /** Why an item has no output to export ({@code failed}, or {@code cancelled} when it never ran), or null. */
    private static QualityGate.@Nullable Rejection missing(ExportItem item) {
        if (ItemStatus.DONE.sql().equals(item.status()) && item.path() != null) {
            return null;
        }
        boolean ran = !ItemStatus.CANCELLED.sql().equals(item.status()) && !ItemStatus.PENDING.sql().equals(item.status());
        return new QualityGate.Rejection(ran ? "failed" : "cancelled",
                item.error() == null ? "no output (" + item.status() + ")" : item.error());
    }

    /**
     * The output's bytes, read through the output store (a link or anything but a regular file of the run is
     * refused), checked against the ledger's sha256 (a changed file is never exported).
     */
    private byte[] read(Path runDir, ExportItem item) throws IOException {
        byte[] bytes;
        try (OutputStore.Stored f = files.open(runDir, item.path());
             InputStream in = Channels.newInputStream(f.channel())) {
            bytes = in.readAllBytes();
        } catch (OutputRefusedException e) {
            throw new IOException("item " + item.index() + ": output " + item.path() + " is not a file of the run: "
                    + e.getMessage(), e);
        }
        String sha = ItemWriter.sha256(bytes);
        if (!sha.equals(item.sha256())) {
            throw new IOException("item " + item.index() + ": " + item.path() + " has sha256 " + sha + " but the ledger "
                    + "recorded " + item.sha256() + "; the file changed after it was made ('reproduce' makes it again)");
        }
        return bytes;
    }

    /** The generation parameters as the engine resolved them, snake_case, fixed order. */
    static ObjectNode params(SamplingParams p, boolean video, GenerationRequest request) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("sampler", p.sampler());
        o.put("steps", p.steps());
        o.put("guidance", p.guidance());
        o.put("guidance_rescale", p.guidanceRescale());
        o.put("eta", p.eta());
        o.put("width", p.width());
        o.put("height", p.height());
        if (video) {
            o.put("frames", p.frames());
            o.put("fps", request.params().fps() == null ? RunContexts.DEFAULT_FPS : request.params().fps());
        }
        o.put("timestep_spacing", p.timestepSpacing());
        o.put("prediction_type", p.predictionType());
        return o;
    }

    private static @Nullable Map<String, String> map(@Nullable String json) {
        return json == null ? null : Json.MAPPER.readValue(json, STRINGS);
    }

    private static Map<String, String> labels(@Nullable String json) {
        Map<String, String> m = map(json);
        return m == null ? Map.of() : new LinkedHashMap<>(m);
    }

    /** Deletes a folder and what it holds, never following links out of it; nothing when it does not exist. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
