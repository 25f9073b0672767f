package io.diffusionbatch.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundled text-to-image models through the Java engine, judged by the independently trained
 * evaluator: a guard that the engine and each model together still follow prompts, in latent space
 * (shapes-ldm, through the VAE decoder) and in pixel space (shapes-pixel, no VAE). A broken guidance,
 * scheduler, tokenizer, VAE or pixel-output path drops this far below the bar; for two objects, a
 * model that only draws the right objects without their order reads about 50 %. The full
 * measurement over 500+ prompts is in docs/BENCHMARKS.md (both models: 99–100 %).
 */
class ShapesAdherenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"shapes-ldm", "shapes-pixel"})
    void followsSingleObjectPromptsIncludingHeldOutCombinations(String model) {
        List<LabeledPrompt> prompts = new ArrayList<>(LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-single.jsonl"))
                .subList(0, 48));
        prompts.addAll(LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-single-held-out.jsonl")).subList(0, 16));
        AdherenceTally tally = judge(model, prompts);
        System.out.print(tally.table());
        assertThat(tally.allAttributes("single")).isGreaterThanOrEqualTo(0.95);
        assertThat(tally.allAttributes("single held-out")).isGreaterThanOrEqualTo(0.90);
    }

    @ParameterizedTest
    @ValueSource(strings = {"shapes-ldm", "shapes-pixel"})
    void placesTwoObjectsInThePromptedOrder(String model) {
        List<LabeledPrompt> prompts = LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-pair.jsonl")).subList(0, 48);
        AdherenceTally tally = judge(model, prompts);
        System.out.print(tally.table());
        assertThat(tally.allAttributes("pair")).isGreaterThanOrEqualTo(PAIR_GUARD);
    }

    /** Issue 4's bar for the 48 two-object prompts (the models read 99.7 % and 100 % on all 300, docs/BENCHMARKS.md); order at chance gives about 0.5. */
    private static final double PAIR_GUARD = 0.85;

    private static AdherenceTally judge(String model, List<LabeledPrompt> prompts) {
        AdherenceTally tally = new AdherenceTally();
        try (Engine engine = Engine.open(Path.of("models", model), EngineOptions.cpu().withBatchSize(16));
             ShapesEvaluator evaluator = ShapesEvaluator.open(Path.of("models/shapes-eval"))) {
            SamplingParams p = engine.defaultParams().withGuidance(5);
            List<GenerationSpec> specs = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                specs.add(new GenerationSpec(prompts.get(i).prompt(), "", i, p));
            }
            List<float[]> images = engine.generate(specs).stream().map(g -> g.pixels()).toList();
            List<ShapesEvaluator.Reading> read = evaluator.judgeImages(images);
            for (int i = 0; i < read.size(); i++) {
                tally.add(prompts.get(i), read.get(i).labels());
            }
        }
        return tally;
    }
}
