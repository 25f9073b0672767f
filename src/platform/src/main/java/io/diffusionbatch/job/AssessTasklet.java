package io.diffusionbatch.job;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.engine.model.ModelFolder;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.QualityStore.ItemQualityRow;
import io.diffusionbatch.ledger.QualityStore.OutputToAssess;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.media.OutputReader;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.quality.LabeledPrompt;
import io.diffusionbatch.quality.RunAssessment;
import io.diffusionbatch.quality.RunQuality;
import io.diffusionbatch.quality.ShapesEvaluator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Step 3 of a run: its model's evaluator reads the written outputs back (the files, as a user
 * has them) and the run's quality is stored: per item what was read and whether it matches the
 * prompt, per run adherence and FID against the evaluator's real-image statistics. Runs of models
 * without an evaluator, and runs with {@code diffusion.quality.max-items} 0, are skipped. Larger
 * runs are judged on every k-th item. Re-running the step replaces the assessment. Stateless and
 * thread-safe.
 */
@Component
public class AssessTasklet implements Tasklet {

    private static final Logger LOG = LoggerFactory.getLogger(AssessTasklet.class);
    private static final JsonMapper JSON = Json.MAPPER;
    private static final int PAGE = 128;

    private final RequestStore requests;
    private final ItemStore items;
    private final QualityStore quality;
    private final ModelRegistry models;
    private final Evaluators evaluators;
    private final int maxItems;
    private final OutputRoot root;

    public AssessTasklet(RequestStore requests, ItemStore items, QualityStore quality, ModelRegistry models,
                         Evaluators evaluators, DiffusionProperties props, OutputRoot root) {
        this.requests = requests;
        this.items = items;
        this.quality = quality;
        this.models = models;
        this.evaluators = evaluators;
        this.maxItems = props.quality() == null ? 10_000 : props.quality().maxItems();
        this.root = root;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
        long requestId = chunkContext.getStepContext().getStepExecution().getJobExecution().getJobParameters()
                .getLong(GenerationJobConfig.REQUEST_ID);
        RequestRow run = requests.find(requestId).orElseThrow();
        Optional<Path> folder = models.evaluator(run.model());
        // a dataset night's gate judges every item: its run is assessed whatever max-items says
        boolean dataset = JSON.readTree(run.spec()).has("dataset");
        if (folder.isEmpty() || (maxItems <= 0 && !dataset)) {
            LOG.info("run {}: no quality assessment ({})", requestId,
                    folder.isEmpty() ? "model " + run.model() + " has no evaluator" : "diffusion.quality.max-items is 0");
            return RepeatStatus.FINISHED;
        }
        assess(run, folder.get(), dataset);
        return RepeatStatus.FINISHED;
    }

    /** @param everyItem judge every item (a dataset night's gate needs them all), whatever max-items says */
    void assess(RequestRow run, Path folder, boolean everyItem) {
        long start = System.nanoTime();
        ShapesEvaluator evaluator = evaluators.get(folder);
        boolean video = "video".equals(run.kind());
        Path runDir = root.folder(run.id(), run.outputDir());
        RunAssessment assessment = new RunAssessment(video ? null : evaluator.imageReference());
        long done = items.countByStatus(run.id()).getOrDefault(ItemStatus.DONE, 0L);
        long stride = everyItem ? 1 : Math.max(1, (done + maxItems - 1) / maxItems);
        List<ItemQualityRow> rows = new ArrayList<>();
        long unreadable = 0;
        long after = -1;
        for (List<OutputToAssess> page; !(page = quality.outputs(run.id(), after, stride, PAGE)).isEmpty(); ) {
            after = page.get(page.size() - 1).index();
            List<OutputToAssess> read = new ArrayList<>();
            List<float[]> data = new ArrayList<>();
            for (OutputToAssess o : page) {
                Optional<float[]> d = decode(runDir.resolve(o.path()), o, video, run.id());
                if (d.isPresent()) {
                    read.add(o);
                    data.add(d.get());
                } else {
                    unreadable++;
                }
            }
            if (data.isEmpty()) {
                continue;
            }
            List<ShapesEvaluator.Reading> readings = video ? evaluator.judgeVideos(data) : evaluator.judgeImages(data);
            for (int i = 0; i < read.size(); i++) {
                LabeledPrompt label = evaluator.captions().label(read.get(i).prompt()).orElse(null);
                Boolean adherent = assessment.add(label, readings.get(i));
                rows.add(new ItemQualityRow(run.id(), read.get(i).index(), JSON.writeValueAsString(readings.get(i).labels()),
                        label == null ? null : JSON.writeValueAsString(label.expected()), adherent));
            }
        }
        RunQuality q = assessment.result();
        double seconds = (System.nanoTime() - start) / 1e9;
        quality.save(new QualityStore.RunQualityRow(run.id(), folder.toString(), ModelFolder.folderSha256(folder),
                q.assessed(), unreadable, q.labelled(), q.adherent(), q.adherence(), q.fid(), q.fidItems(),
                JSON.writeValueAsString(q.byGroup()), seconds), rows);
        LOG.info("run {}: assessed {} outputs ({} unreadable) in {} s: adherence {} over {} captions, FID {} over {}",
                run.id(), q.assessed(), unreadable, String.format("%.1f", seconds), q.adherence(), q.labelled(), q.fid(),
                q.fidItems());
    }

    /** The output as the evaluator's input, or empty (logged) when it cannot be read or has another geometry. */
    private static Optional<float[]> decode(Path file, OutputToAssess o, boolean video, long run) {
        try {
            OutputReader.Decoded d = OutputReader.read(file, o.mediaType());
            boolean fits = d.height() == 32 && d.width() == 32 && (video ? d.frames() == 8 : d.frames() == 1);
            if (!fits) {
                LOG.debug("run {} item {}: {}x{}x{} is not what the evaluator reads", run, o.index(), d.frames(),
                        d.height(), d.width());
                return Optional.empty();
            }
            return Optional.of(d.data());
        } catch (IOException | IllegalArgumentException e) {
            LOG.debug("run {} item {}: cannot read {}: {}", run, o.index(), file, e.getMessage());
            return Optional.empty();
        }
    }
}
