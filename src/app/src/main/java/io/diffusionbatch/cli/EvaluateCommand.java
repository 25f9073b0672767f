package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.ParamViolation;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.quality.LabeledPrompt;
import io.diffusionbatch.quality.RunAssessment;
import io.diffusionbatch.quality.RunQuality;
import io.diffusionbatch.quality.ShapesEvaluator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate}: generates every prompt of a labelled prompt set with a model and reports how
 * often the evaluator reads each prompted attribute back, per group and for all attributes.
 * Item {@code i} uses seed {@code seed + i}. Prompts of a kind the model cannot make (videos for an
 * image model and the reverse) are skipped and counted. One instance per command line; not thread-safe.
 */
@Command(name = "evaluate", sortOptions = false,
        description = {"Prompt adherence and FID of a model on a labelled prompt set.",
                "Generates a labelled prompt set and reads every output back with the shapes "
                + "evaluator; prints, per group and attribute, the share of items whose prompted attributes were read "
                + "back, and the FID of the single-object outputs. Item i uses seed SEED+i; prompts of a kind the "
                + "model cannot make (video or image) are skipped and counted."})
final class EvaluateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Model folder in the Stable Diffusion ONNX layout.")
    private Path model;

    @Option(names = "--prompts", paramLabel = "FILE", required = true,
            description = "Labelled prompt set (.jsonl, e.g. config/prompts/shapes-single.jsonl).")
    private Path promptsFile;

    @Option(names = "--evaluator", paramLabel = "DIR", defaultValue = "models/shapes-eval",
            description = "The evaluator's folder (default: ${DEFAULT-VALUE}).")
    private Path evaluatorDir;

    @Option(names = "--sampler", paramLabel = "SAMPLER", completionCandidates = Candidates.SamplerNames.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: the model's: dpmpp-2m, or lcm for a "
                    + "consistency model).")
    private String sampler;

    @Option(names = "--steps", paramLabel = "N",
            description = "Sampling steps, 1..1000 (default: the model's: 20, or 4 for a consistency model).")
    private Integer steps;

    @Option(names = "--guidance", paramLabel = "X",
            description = "Guidance scale (default: the model's: 7.5; 1 for unconditional and consistency models).")
    private Double guidance;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Micro-batch: items per network call, 1..1024 (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed of the first item, >= 0 (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--limit", paramLabel = "N",
            description = "Use the first N prompts only, >= 1 (default: all of them).")
    private Integer limit;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 = its default, one per core (default: ${DEFAULT-VALUE}).")
    private int threads;

    private final PrintStream out;
    private final PrintStream err;

    EvaluateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        List<LabeledPrompt> prompts;
        try {
            prompts = LabeledPrompt.readJsonl(promptsFile);
        } catch (RuntimeException e) {
            throw usage("--" + e.getMessage());
        }
        int limit = this.limit != null ? this.limit : prompts.size();
        if (limit < 1 || seed < 0) {
            throw usage("--limit: must be >= 1 and --seed >= 0");
        }
        EngineOptions options;
        try {
            options = new EngineOptions("cpu", 0, threads, batch);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        ShapesEvaluator evaluator;
        try {
            evaluator = ShapesEvaluator.open(evaluatorDir);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        try (evaluator; Engine engine = GenerateCommand.open(spec, model, options)) {
            SamplingParams d = engine.defaultParams();
            SamplingParams p = d.withSampler(sampler != null ? sampler : d.sampler())
                    .withSteps(steps != null ? steps : d.steps()).withGuidance(guidance != null ? guidance : d.guidance());
            List<ParamViolation> v = engine.violations(p);
            if (!v.isEmpty()) {
                throw usage(GenerateCommand.asOptions(v));
            }
            List<LabeledPrompt> used = new ArrayList<>();
            List<GenerationSpec> specs = new ArrayList<>();
            int skipped = 0;
            for (LabeledPrompt lp : prompts.subList(0, Math.min(limit, prompts.size()))) {
                if (lp.kind().equals("video") != engine.isVideo()) {
                    skipped++;
                    continue;
                }
                specs.add(new GenerationSpec(lp.prompt(), "", seed + used.size(), p));
                used.add(lp);
            }
            if (used.isEmpty()) {
                throw usage("--prompts: none of the prompts is of a kind model " + engine.model().name()
                        + " makes");
            }
            RunAssessment assessment = new RunAssessment(engine.isVideo() ? null : evaluator.imageReference());
            long start = System.nanoTime();
            ProgressBar bar = new ProgressBar(err);
            List<float[]> pending = new ArrayList<>();
            List<LabeledPrompt> pendingPrompts = new ArrayList<>();
            try {
                engine.generate(specs, (i, item) -> {
                    pending.add(item.pixels());
                    pendingPrompts.add(used.get(i));
                    if (pending.size() >= 64) {
                        judge(evaluator, engine.isVideo(), pending, pendingPrompts, assessment);
                    }
                }, bar);
            } finally {
                bar.end();
            }
            judge(evaluator, engine.isVideo(), pending, pendingPrompts, assessment);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "model %s, %s %d steps, guidance %.1f, %d prompts (%d skipped), seeds %d.., %.1f s%n",
                    engine.model().name(), p.sampler(), p.steps(), p.guidance(), used.size(), skipped, seed, seconds);
            out.print(assessment.table());
            RunQuality q = assessment.result();
            if (q.fid() != null) {
                out.printf(Locale.ROOT, "FID (single-object prompts, n=%d) against real single-object images: %.3f%n",
                        q.fidItems(), q.fid());
            }
            return 0;
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static void judge(ShapesEvaluator evaluator, boolean video, List<float[]> items, List<LabeledPrompt> prompts,
                              RunAssessment assessment) {
        if (items.isEmpty()) {
            return;
        }
        List<ShapesEvaluator.Reading> read = video ? evaluator.judgeVideos(items) : evaluator.judgeImages(items);
        for (int i = 0; i < read.size(); i++) {
            assessment.add(prompts.get(i), read.get(i));
        }
        items.clear();
        prompts.clear();
    }
}
