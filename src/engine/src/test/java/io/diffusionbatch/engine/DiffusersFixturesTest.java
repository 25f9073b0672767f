package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The engine against tiny exports of diffusers' own {@code UNet2DConditionModel} / {@code AutoencoderKL}
 * (models/diffusers/, built by {@code tools/make_diffusers_fixtures.py}) and whole generations of the
 * diffusers pipelines' loops in torch with diffusers' scheduler classes on the project's seed noise
 * (models/diffusers/reference.json).
 *
 * <p>Tolerances: float32 exports, max |a − b| / max |b| of the final latent below 1e-5; the float16 export of
 * sd15 against sd15's float32 reference below {@link #FP16_TOLERANCE} (measured; see the README), and
 * bit-identical on two runs.
 */
class DiffusersFixturesTest {

    static final double FP32_TOLERANCE = 1e-5;
    /** Float16 export (sd15-fp16) against the float32 reference of the same weights: measured at most 1.8e-3 (latent) and 2.2e-3 (pixels). */
    static final double FP16_TOLERANCE = 5e-3;

    static JsonNode reference() throws Exception {
        try (InputStream in = Files.newInputStream(TestModels.ROOT.resolve("diffusers/reference.json"))) {
            return JsonMapper.builder().build().readTree(in);
        }
    }

    static Stream<JsonNode> runs() throws Exception {
        JsonNode root = reference();
        assertThat(root.get("runs").size()).isEqualTo(12);
        return StreamSupport.stream(root.get("runs").spliterator(), false);
    }

    static Stream<JsonNode> sd15Runs() throws Exception {
        return runs().filter(r -> r.get("model").asString().equals("diffusers/sd15"));
    }

    static Stream<String> fixtures() throws Exception {
        return reference().get("defaults").propertyNames().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void theEngineReproducesTheDiffusersPipeline(JsonNode run) {
        try (Engine engine = TestModels.open(run.get("model").asString(), 1)) {
            GeneratedItem item = generate(engine, run);
            assertShapes(item, run);
            double latentErr = relativeError(item.latent(), run.get("final_latent"));
            double pixelErr = relativeError(item.pixels(), run.get("pixels"));
            System.out.printf(Locale.ROOT, "diffusers %s: latent max error %.2e, pixels max error %.2e (relative to max)%n",
                    run.get("description").asString(), latentErr, pixelErr);
            assertThat(latentErr).as("final latent, max |a-b| / max |b|").isLessThan(FP32_TOLERANCE);
            assertThat(pixelErr).as("decoded pixels, max |a-b| / max |b|").isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sd15Runs")
    void theFloat16ExportFollowsTheFloat32ReferenceAndIsRepeatable(JsonNode run) {
        try (Engine engine = TestModels.open("diffusers/sd15-fp16", 1)) {
            GeneratedItem a = generate(engine, run);
            GeneratedItem b = generate(engine, run);
            assertShapes(a, run);
            assertThat(a.latent()).as("two runs, bit for bit").isEqualTo(b.latent());
            assertThat(a.pixels()).as("two runs, bit for bit").isEqualTo(b.pixels());
            double latentErr = relativeError(a.latent(), run.get("final_latent"));
            double pixelErr = relativeError(a.pixels(), run.get("pixels"));
            System.out.printf(Locale.ROOT, "diffusers fp16 %s: latent max error %.2e, pixels max error %.2e (relative to max)%n",
                    run.get("description").asString(), latentErr, pixelErr);
            assertThat(latentErr).isLessThan(FP16_TOLERANCE);
            assertThat(pixelErr).isLessThan(FP16_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theDefaultSizeIsThePipelines(String fixture) throws Exception {
        JsonNode expected = reference().get("defaults").get(fixture);
        try (Engine engine = TestModels.open("diffusers/" + fixture, 1)) {
            assertThat(engine.defaultParams().width()).isEqualTo(expected.get("width").asInt());
            assertThat(engine.defaultParams().height()).isEqualTo(expected.get("height").asInt());
        }
    }

    @Test
    void everyFixtureHasReferenceDefaults() throws Exception {
        assertThat(fixtures().toList()).containsExactlyInAnyOrder("sd15", "sd15-fp16", "sd2-v", "lcm", "sdxl", "sdxl-turbo");
    }

    private static GeneratedItem generate(Engine engine, JsonNode run) {
        SamplingParams p = engine.defaultParams().withSampler(run.get("sampler").asString())
                .withSteps(run.get("steps").asInt()).withGuidance(run.get("guidance_scale").asDouble())
                .withSize(run.get("width").asInt(), run.get("height").asInt());
        p = new SamplingParams(p.sampler(), p.steps(), p.guidance(), 0.0, run.get("eta").asDouble(), p.width(),
                p.height(), p.frames(), null, null);
        return engine.generate(List.of(new GenerationSpec(run.get("prompt").asString(),
                run.get("negative_prompt").asString(), run.get("seed").asLong(), p))).get(0);
    }

    private static void assertShapes(GeneratedItem item, JsonNode run) {
        assertThat(item.latentShape()).containsExactly(longs(run.get("latent_shape")));
        assertThat(item.pixelShape()).containsExactly(longs(run.get("pixel_shape")));
        assertThat(item.counters().nfe()).isEqualTo(run.get("nfe").asInt());
    }

    /** max |a − b| divided by max |b|. */
    static double relativeError(float[] actual, JsonNode expected) {
        assertThat(actual).hasSize(expected.size());
        double worst = 0, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = expected.get(i).asDouble();
            worst = Math.max(worst, Math.abs(actual[i] - e));
            scale = Math.max(scale, Math.abs(e));
        }
        return worst / scale;
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}
