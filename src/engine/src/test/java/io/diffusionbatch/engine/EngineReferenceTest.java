package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The engine end to end against runs computed independently in numpy by
 * {@code tools/make_test_models.py} (reference-engine.json): seed noise, tokenizing, the text
 * encoder, classifier-free guidance with its rescale, DDIM, VAE scaling and frame-by-frame video
 * decoding, following the diffusers Stable Diffusion pipeline.
 */
class EngineReferenceTest {

    static Stream<JsonNode> runs() throws Exception {
        try (InputStream in = Files.newInputStream(TestModels.ROOT.resolve("reference-engine.json"))) {
            JsonNode root = JsonMapper.builder().build().readTree(in);
            assertThat(root.get("runs").size()).isEqualTo(5);
            return java.util.stream.StreamSupport.stream(root.get("runs").spliterator(), false);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void theEngineReproducesTheIndependentPipeline(JsonNode run) {
        try (Engine engine = TestModels.open(run.get("model").asString(), 1)) {
            SamplingParams p = engine.defaultParams().withSampler(run.get("sampler").asString())
                    .withSteps(run.get("steps").asInt()).withGuidance(run.get("guidance_scale").asDouble());
            p = new SamplingParams(p.sampler(), p.steps(), p.guidance(), run.get("guidance_rescale").asDouble(),
                    run.get("eta").asDouble(), p.width(), p.height(), p.frames(), null, null);
            GeneratedItem item = engine.generate(List.of(new GenerationSpec(run.get("prompt").asString(),
                    run.get("negative_prompt").asString(), run.get("seed").asLong(), p))).get(0);

            assertThat(item.latentShape()).containsExactly(TestModels.longs(run.get("latent_shape")));
            assertThat(item.pixelShape()).containsExactly(TestModels.longs(run.get("output_shape")));
            assertThat(item.counters().nfe()).isEqualTo(run.get("steps").asInt() * run.get("unet_batch").asInt());
            double latentErr = TestModels.relativeError(item.latent(), run.get("final_latent"));
            double outputErr = TestModels.relativeError(item.pixels(), run.get("output"));
            System.out.printf(Locale.ROOT, "reference %s: latent max error %.2e, output max error %.2e (relative to max)%n",
                    run.get("description").asString(), latentErr, outputErr);
            assertThat(latentErr).isLessThan(1e-3);
            assertThat(outputErr).isLessThan(1e-3);
        }
    }
}
