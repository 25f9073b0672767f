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
    /** Float16 export (sd15-fp16) against the float32 reference of the same weights: measured at most 1.5e-3 (latent) and 1.8e-3 (pixels). */
    static final double FP16_TOLERANCE = 5e-3;

    static JsonNode reference() throws Exception {
        try (InputStream in = Files.newInputStream(TestModels.ROOT.resolve("diffusers/reference.json"))) {
            return JsonMapper.builder().build().readTree(in);
        }
    }

    static Stream<JsonNode> runs() throws Exception {
        JsonNode root = reference();
        assertThat(root.get("runs").size()).isEqualTo(14);
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
            double latentErr = TestModels.relativeError(item.latent(), run.get("final_latent"));
            double pixelErr = TestModels.relativeError(item.pixels(), run.get("pixels"));
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
            double latentErr = TestModels.relativeError(a.latent(), run.get("final_latent"));
            double pixelErr = TestModels.relativeError(a.pixels(), run.get("pixels"));
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

    @Test
    void sdxlItemsInOneMicroBatchEachMatchTheirReference() throws Exception {
        // the two sdxl runs share their settings, so they go through the networks together: one row's negative is
        // zeros (empty negative prompt), the other's an encoded prompt, and the pooled and size rows ride along
        List<JsonNode> xl = runs().filter(r -> r.get("model").asString().equals("diffusers/sdxl")
                && r.get("width").asInt() == 32).toList();
        assertThat(xl).hasSize(2);
        try (Engine engine = TestModels.open("diffusers/sdxl", 2)) {
            List<GenerationSpec> specs = xl.stream().map(r -> spec(engine, r)).toList();
            assertThat(specs.get(0).params()).isEqualTo(specs.get(1).params());
            List<GeneratedItem> items = engine.generate(specs);
            for (int i = 0; i < 2; i++) {
                assertThat(items.get(i).counters().batchSize()).isEqualTo(2);
                assertThat(TestModels.relativeError(items.get(i).latent(), xl.get(i).get("final_latent")))
                        .isLessThan(FP32_TOLERANCE);
            }
        }
    }

    @Test
    void withoutForceZerosAnEmptyNegativeIsEncodedLikeAnyPrompt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path encoded = TestModels.copy("diffusers/sdxl", dir.resolve("encoded"));
        String index = Files.readString(encoded.resolve("model_index.json"));
        Files.writeString(encoded.resolve("model_index.json"), index.replace("\"force_zeros_for_empty_prompt\": true",
                "\"force_zeros_for_empty_prompt\": false"));
        try (Engine zeros = TestModels.open("diffusers/sdxl", 1);
             Engine plain = Engine.open(encoded, EngineOptions.cpu())) {
            SamplingParams p = zeros.defaultParams().withSteps(3);
            // " " tokenizes as "" does, but is not an empty negative prompt: it is encoded in both folders
            float[] zerosEmpty = zeros.generate(List.of(new GenerationSpec("a cat", "", 2, p))).get(0).latent();
            float[] zerosSpace = zeros.generate(List.of(new GenerationSpec("a cat", " ", 2, p))).get(0).latent();
            float[] plainEmpty = plain.generate(List.of(new GenerationSpec("a cat", "", 2, p))).get(0).latent();
            assertThat(plainEmpty).isEqualTo(zerosSpace);
            assertThat(zerosEmpty).isNotEqualTo(zerosSpace);
        }
    }

    @Test
    void sizesAndConfigsTheGraphLeavesOpen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // a list sample_size (height, width) on a graph with dynamic sides; the VAE's factor is 2
        java.nio.file.Path sd = TestModels.copy("diffusers/sd15", dir.resolve("sd"));
        Files.writeString(sd.resolve("unet/config.json"), "{\"sample_size\": [12, 20], \"in_channels\": 4}");
        try (Engine e = Engine.open(sd, EngineOptions.cpu())) {
            assertThat(List.of(e.nativeHeight(), e.nativeWidth())).containsExactly(24, 40);
        }
        // no sample_size: 64 cells, and for SDXL its pipeline's 128
        Files.writeString(sd.resolve("unet/config.json"), "{}");
        java.nio.file.Path xl = TestModels.copy("diffusers/sdxl", dir.resolve("xl"));
        Files.writeString(xl.resolve("unet/config.json"), "{}");
        try (Engine e = Engine.open(sd, EngineOptions.cpu()); Engine x = Engine.open(xl, EngineOptions.cpu())) {
            assertThat(e.nativeWidth()).isEqualTo(128);
            assertThat(x.nativeWidth()).isEqualTo(256);
        }
        // a VAE decoded from per-channel latent statistics, which the engine does not do, is refused
        Files.writeString(xl.resolve("vae_decoder/config.json"), "{\"scaling_factor\": 0.5, \"latents_mean\": [0, 0, 0, 0],"
                + " \"latents_std\": [1, 1, 1, 1]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(xl, EngineOptions.cpu()))
                .hasMessageContaining("sets latents_mean");
        // a malformed config value is named, not taken for absent
        java.nio.file.Path lcm = TestModels.copy("diffusers/lcm", dir.resolve("lcm"));
        Files.writeString(lcm.resolve("unet/config.json"), "{\"sample_size\": 16, \"time_cond_proj_dim\": \"32\"}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(lcm, EngineOptions.cpu()))
                .hasMessageContaining("time_cond_proj_dim must be a positive integer");
        Files.writeString(lcm.resolve("unet/config.json"), "{\"sample_size\": \"16\"}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(lcm, EngineOptions.cpu()))
                .hasMessageContaining("sample_size must be a positive integer or a list of two");
    }

    @Test
    void eachFamilyDefaultsAsItsPipelineRunsIt() {
        try (Engine sd = TestModels.open("diffusers/sd15", 1); Engine lcm = TestModels.open("diffusers/lcm", 1);
             Engine xl = TestModels.open("diffusers/sdxl", 1); Engine turbo = TestModels.open("diffusers/sdxl-turbo", 1)) {
            assertThat(List.of(sd.defaultParams().sampler(), sd.defaultParams().steps())).containsExactly("dpmpp-2m", 20);
            assertThat(sd.defaultParams().guidance()).isEqualTo(7.5);
            // guidance-distilled LCM: the LCM pipeline's w = 8.5, fed as an embedding, no unconditional pass
            assertThat(List.of(lcm.defaultParams().sampler(), lcm.defaultParams().steps())).containsExactly("lcm", 4);
            assertThat(lcm.defaultParams().guidance()).isEqualTo(8.5);
            assertThat(lcm.unconditionalPass(lcm.defaultParams())).isFalse();
            assertThat(lcm.geometry().guidanceEmbedded()).isTrue();
            // SDXL: its pipeline's guidance 5.0 with an unconditional pass
            assertThat(xl.defaultParams().guidance()).isEqualTo(5.0);
            assertThat(xl.unconditionalPass(xl.defaultParams())).isTrue();
            // SDXL-Turbo: euler-a, 1 step, guidance 0: one UNet evaluation in all
            SamplingParams t = turbo.defaultParams();
            assertThat(List.of(t.sampler(), t.steps())).containsExactly("euler-a", 1);
            assertThat(t.guidance()).isZero();
            GeneratedItem item = turbo.generate(List.of(new GenerationSpec("a cat", "", 1, t))).get(0);
            assertThat(item.counters().nfe()).isEqualTo(1);
        }
    }

    @Test
    void aGuidanceEmbeddingTakesTheScaleAndIgnoresTheNegativePrompt() {
        try (Engine lcm = TestModels.open("diffusers/lcm", 1)) {
            SamplingParams p = lcm.defaultParams();
            List<GeneratedItem> items = lcm.generate(List.of(new GenerationSpec("a cat", "", 3, p),
                    new GenerationSpec("a cat", "blurry, dark", 3, p),
                    new GenerationSpec("a cat", "", 3, p.withGuidance(3.0))));
            assertThat(items.get(1).latent()).as("no unconditional pass: the negative prompt changes nothing")
                    .isEqualTo(items.get(0).latent());
            assertThat(items.get(2).latent()).as("w goes into the network").isNotEqualTo(items.get(0).latent());
            assertThat(items.get(0).counters().nfe()).isEqualTo(4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void parametersCountedFromTheGraphsEqualTorchs(String fixture) throws Exception {
        JsonNode torch = reference().get("defaults").get(fixture).get("parameters");
        try (Engine engine = TestModels.open("diffusers/" + fixture, 1)) {
            SamplingParams p = engine.defaultParams().withSteps(1);
            ModelCost cost = engine.generate(List.of(new GenerationSpec("a cat", "", 1, p))).get(0).counters().cost();
            assertThat(cost.unresolvedNodes()).isZero();
            assertThat(cost.unetParams()).as("unet").isEqualTo(torch.get("unet").asLong());
            assertThat(cost.vaeDecoderParams()).as("vae_decoder").isEqualTo(torch.get("vae_decoder").asLong());
            assertThat(cost.textEncoderParams()).as("text encoder(s)").isEqualTo(torch.get("text_encoder").asLong());
        }
    }

    @Test
    void sdxlFoldersMissingAPieceAreRefusedNamingIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // the UNet takes text_embeds and time_ids, but there is no second encoder
        java.nio.file.Path one = TestModels.copy("diffusers/sdxl", dir.resolve("one"));
        TestModels.deleteTree(one.resolve("text_encoder_2"));
        TestModels.deleteTree(one.resolve("tokenizer_2"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(one, EngineOptions.cpu()))
                .hasMessageContaining("text_embeds and time_ids need an SDXL folder with text_encoder_2/");
        // a second encoder without the pooled projection (a CLIPTextModel where a ...WithProjection belongs)
        java.nio.file.Path pooled = TestModels.copy("diffusers/sdxl", dir.resolve("pooled"));
        Files.copy(pooled.resolve("text_encoder/model.onnx"), pooled.resolve("text_encoder_2/model.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(pooled, EngineOptions.cpu()))
                .hasMessageContaining("text_encoder_2: Stable Diffusion XL takes the pooled projection 'text_embeds'");
        // an encoder exported without its hidden states (only last_hidden_state, pooler_output)
        java.nio.file.Path hidden = TestModels.copy("diffusers/sdxl", dir.resolve("hidden"));
        Files.copy(TestModels.dir("diffusers/sd15/text_encoder/model.onnx"), hidden.resolve("text_encoder/model.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.open(hidden, EngineOptions.cpu()))
                .hasMessageContaining("text_encoder: Stable Diffusion XL conditions on the penultimate layer's hidden states");
    }

    private static GeneratedItem generate(Engine engine, JsonNode run) {
        return engine.generate(List.of(spec(engine, run))).get(0);
    }

    private static GenerationSpec spec(Engine engine, JsonNode run) {
        SamplingParams p = engine.defaultParams().withSampler(run.get("sampler").asString())
                .withSteps(run.get("steps").asInt()).withGuidance(run.get("guidance_scale").asDouble())
                .withSize(run.get("width").asInt(), run.get("height").asInt());
        p = new SamplingParams(p.sampler(), p.steps(), p.guidance(), 0.0, run.get("eta").asDouble(), p.width(),
                p.height(), p.frames(), null, null);
        return new GenerationSpec(run.get("prompt").asString(), run.get("negative_prompt").asString(),
                run.get("seed").asLong(), p);
    }

    private static void assertShapes(GeneratedItem item, JsonNode run) {
        assertThat(item.latentShape()).containsExactly(TestModels.longs(run.get("latent_shape")));
        assertThat(item.pixelShape()).containsExactly(TestModels.longs(run.get("pixel_shape")));
        assertThat(item.counters().nfe()).isEqualTo(run.get("nfe").asInt());
    }
}
