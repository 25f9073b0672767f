package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GenerationSpec;
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
import java.util.Set;

/**
 * {@code evaluate}: generates every prompt of a labelled prompt set with a model and reports how
 * often the evaluator reads each prompted attribute back, per group and for all attributes.
 *
 * <pre>
 * evaluate --model DIR --prompts FILE [--evaluator DIR] [--sampler NAME] [--steps N] [--guidance X]
 *          [--batch N] [--seed N] [--limit N] [--threads N]
 * </pre>
 * Item {@code i} uses seed {@code seed + i}. Prompts of a kind the model cannot make (videos for an
 * image model and the reverse) are skipped and counted.
 */
final class EvaluateCommand {

    static final Set<String> VALUED = Set.of("model", "prompts", "evaluator", "sampler", "steps", "guidance", "batch",
            "seed", "limit", "threads");

    private final PrintStream out;
    private final PrintStream err;

    EvaluateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] args) {
        Options o = Options.parse(args, VALUED, Set.of());
        for (String required : List.of("model", "prompts")) {
            if (!o.has(required)) {
                throw new UsageException("--" + required + ": required");
            }
        }
        List<LabeledPrompt> prompts;
        try {
            prompts = LabeledPrompt.readJsonl(Path.of(o.string("prompts", null)));
        } catch (RuntimeException e) {
            throw new UsageException("--" + e.getMessage());
        }
        int limit = o.integer("limit", prompts.size());
        long seed = o.longValue("seed", 0);
        if (limit < 1 || seed < 0) {
            throw new UsageException("--limit: must be >= 1 and --seed >= 0");
        }
        EngineOptions options;
        try {
            options = new EngineOptions("cpu", 0, o.integer("threads", 0), o.integer("batch", 8));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        ShapesEvaluator evaluator;
        try {
            evaluator = ShapesEvaluator.open(Path.of(o.string("evaluator", "models/shapes-eval")));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        try (evaluator; Engine engine = GenerateCommand.open(Path.of(o.string("model", null)), options)) {
            SamplingParams d = engine.defaultParams();
            SamplingParams p = d.withSampler(o.string("sampler", d.sampler())).withSteps(o.integer("steps", d.steps()))
                    .withGuidance(o.number("guidance", d.guidance()));
            List<String> v = engine.violations(p);
            if (!v.isEmpty()) {
                throw new UsageException("--" + String.join("\n--", v));
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
                throw new UsageException("--prompts: none of the prompts is of a kind model " + engine.model().name()
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
