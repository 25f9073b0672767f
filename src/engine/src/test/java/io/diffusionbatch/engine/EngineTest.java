package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffusionbatch.engine.model.EngineException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on the tiny real ONNX models, on ONNX Runtime's CPU provider. */
class EngineTest {

    private static Engine sd1;
    private static Engine sd4;

    @BeforeAll
    static void open() {
        sd1 = TestModels.open("tiny-sd", 1);
        sd4 = TestModels.open("tiny-sd", 4);
    }

    @AfterAll
    static void close() {
        sd1.close();
        sd4.close();
    }

    private static List<GenerationSpec> specs(SamplingParams p, String prompt, long... seeds) {
        List<GenerationSpec> s = new ArrayList<>();
        for (long seed : seeds) {
            s.add(new GenerationSpec(prompt, "", seed, p));
        }
        return s;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void latentTextToImageWithGuidanceCountsTwoEvaluationsPerStep() {
        SamplingParams p = sd1.defaultParams().withSteps(10);
        GeneratedItem item = sd1.generate(specs(p, "a red circle on a blue background", 7)).get(0);
        assertThat(item.pixelShape()).containsExactly(3, 32, 32);
        assertThat(item.latentShape()).containsExactly(4, 8, 8);
        for (float v : item.pixels()) {
            assertThat(v).isBetween(-1.00001f, 1.00001f); // the VAE ends in tanh (ORT's approximation overshoots by an ulp)
        }
        ItemCounters c = item.counters();
        assertThat(c.nfe()).isEqualTo(20);
        assertThat(c.steps()).isEqualTo(10);
        assertThat(c.batchSize()).isEqualTo(1);
        assertThat(c.device()).isEqualTo("cpu");
        assertThat(c.executionProvider()).isEqualTo("CPUExecutionProvider");
        assertThat(c.denoiseSeconds()).isPositive();
        assertThat(c.decodeSeconds()).isPositive();
        assertThat(c.cost().unetParams()).isPositive();
        assertThat(c.cost().flopsPerSample())
                .isEqualTo(20 * c.cost().unetFlops() + 2 * c.cost().textEncoderFlops() + c.cost().vaeDecoderFlops());
    }

    @Test
    void anItemDoesNotDependOnItsBatchCompanions() {
        SamplingParams p = sd1.defaultParams().withSteps(8).withSampler("euler-a");
        long[] seeds = {11, 12, 13, 14, 15};
        List<GeneratedItem> alone = sd1.generate(specs(p, "a green square at the top left", seeds));
        List<GeneratedItem> together = sd4.generate(specs(p, "a green square at the top left", seeds));
        double worst = 0;
        for (int i = 0; i < seeds.length; i++) {
            worst = Math.max(worst, maxAbsDiff(alone.get(i).pixels(), together.get(i).pixels()));
        }
        System.out.printf(Locale.ROOT, "batch 1 vs batch 4: max abs difference of decoded pixels %.3e%n", worst);
        assertThat(worst).isLessThanOrEqualTo(1e-4);
        assertThat(together.get(0).counters().batchSize()).isEqualTo(4);
        assertThat(together.get(4).counters().batchSize()).isEqualTo(1);
        // and different seeds really differ
        assertThat(maxAbsDiff(alone.get(0).pixels(), alone.get(1).pixels())).isGreaterThan(0.01);
    }

    @Test
    void theSameSeedGivesIdenticalPixelsTwice() {
        SamplingParams p = sd1.defaultParams().withSteps(6).withSampler("ddpm");
        float[] a = sd1.generate(specs(p, "a blue star", 99)).get(0).pixels();
        float[] b = sd1.generate(specs(p, "a blue star", 99)).get(0).pixels();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void theNegativePromptSteersOnlyWhenGuidanceIsOn() {
        SamplingParams guided = sd1.defaultParams().withSteps(6).withGuidance(5);
        SamplingParams unguided = guided.withGuidance(1.0);
        float[] g1 = sd1.generate(List.of(new GenerationSpec("a red circle", "", 3, guided))).get(0).pixels();
        float[] g2 = sd1.generate(List.of(new GenerationSpec("a red circle", "blue", 3, guided))).get(0).pixels();
        assertThat(maxAbsDiff(g1, g2)).isGreaterThan(1e-3);
        GeneratedItem u1 = sd1.generate(List.of(new GenerationSpec("a red circle", "", 3, unguided))).get(0);
        GeneratedItem u2 = sd1.generate(List.of(new GenerationSpec("a red circle", "blue", 3, unguided))).get(0);
        assertThat(u1.pixels()).isEqualTo(u2.pixels());
        assertThat(u1.counters().nfe()).isEqualTo(6);
        assertThat(u1.counters().cost().flopsPerSample())
                .isEqualTo(6 * u1.counters().cost().unetFlops() + u1.counters().cost().textEncoderFlops()
                        + u1.counters().cost().vaeDecoderFlops());
    }

    @Test
    void aFixedBatchGraphGivesTheSameImagesAsTheDynamicOne() {
        try (Engine fixed = TestModels.open("tiny-sd-fixed-batch", 3)) {
            SamplingParams p = sd1.defaultParams().withSteps(5).withGuidance(3);
            List<GeneratedItem> a = fixed.generate(specs(p, "a small yellow ring", 1, 2, 3));
            List<GeneratedItem> b = sd1.generate(specs(p, "a small yellow ring", 1, 2, 3));
            for (int i = 0; i < 3; i++) {
                assertThat(maxAbsDiff(a.get(i).pixels(), b.get(i).pixels())).isLessThanOrEqualTo(1e-4);
            }
            // without guidance 3 items make 3 UNet rows: two calls of 2, the second padded by repeating a row
            SamplingParams unguided = p.withGuidance(1.0);
            List<GeneratedItem> c = fixed.generate(specs(unguided, "a small yellow ring", 1, 2, 3));
            List<GeneratedItem> d = sd1.generate(specs(unguided, "a small yellow ring", 1, 2, 3));
            for (int i = 0; i < 3; i++) {
                assertThat(maxAbsDiff(c.get(i).pixels(), d.get(i).pixels())).isLessThanOrEqualTo(1e-4);
            }
            // the fixed-batch graph is counted at its batch of 2 and divided back to one sample; only the
            // timestep embedding, computed once per call and so shared by the pair, differs (64 FLOPs)
            ModelCost fixedCost = a.get(0).counters().cost();
            ModelCost dynamicCost = b.get(0).counters().cost();
            assertThat(fixedCost.unetParams()).isEqualTo(dynamicCost.unetParams());
            assertThat(fixedCost.vaeDecoderFlops()).isEqualTo(dynamicCost.vaeDecoderFlops());
            assertThat(fixedCost.unetFlops()).isCloseTo(dynamicCost.unetFlops(), org.assertj.core.data.Percentage.withPercentage(0.1));
        }
    }

    @Test
    void aFloat16ExportGivesNearlyTheFloat32Images() {
        try (Engine half = TestModels.open("tiny-sd-fp16", 2)) {
            assertThat(half.sizeFactor()).isEqualTo(4);
            SamplingParams p = sd1.defaultParams().withSteps(10);
            List<GeneratedItem> a = half.generate(specs(p, "a red circle on a blue background", 3, 4));
            List<GeneratedItem> b = sd1.generate(specs(p, "a red circle on a blue background", 3, 4));
            for (int i = 0; i < 2; i++) {
                double diff = maxAbsDiff(a.get(i).pixels(), b.get(i).pixels());
                double mean = 0;
                for (int j = 0; j < a.get(i).pixels().length; j++) {
                    mean += Math.abs(a.get(i).pixels()[j] - b.get(i).pixels()[j]) / a.get(i).pixels().length;
                }
                System.out.printf(Locale.ROOT, "float16 vs float32 tiny-sd, 10 steps CFG 7.5: max abs %.3e, mean abs %.3e%n",
                        diff, mean);
                assertThat(diff).isGreaterThan(0).isLessThan(0.1); // float16 rounding, accumulated over 10 steps
                assertThat(mean).isLessThan(5e-3);
            }
        }
    }

    @Test
    void pixelUnconditionalAndVideoModelsRun() {
        try (Engine pixel = TestModels.open("tiny-pixel", 2);
             Engine uncond = TestModels.open("tiny-uncond", 2);
             Engine video = TestModels.open("tiny-video", 2)) {
            assertThat(pixel.sizeFactor()).isEqualTo(1);
            GeneratedItem px = pixel.generate(specs(pixel.defaultParams().withSteps(4), "a red circle", 1)).get(0);
            assertThat(px.pixelShape()).containsExactly(3, 16, 16);
            assertThat(px.pixels()).isEqualTo(px.latent());

            assertThat(uncond.isConditional()).isFalse();
            assertThat(uncond.defaultParams().guidance()).isEqualTo(1.0);
            GeneratedItem un = uncond.generate(specs(uncond.defaultParams().withSteps(4), "", 1)).get(0);
            assertThat(un.pixelShape()).containsExactly(3, 32, 32);
            assertThat(un.counters().nfe()).isEqualTo(4);
            assertThat(un.counters().cost().textEncoderParams()).isZero();

            assertThat(video.isVideo()).isTrue();
            GeneratedItem v = video.generate(specs(video.defaultParams().withSteps(3), "a red circle moving right", 5)).get(0);
            assertThat(v.isVideo()).isTrue();
            assertThat(v.pixelShape()).containsExactly(8, 3, 32, 32);
            assertThat(v.latentShape()).containsExactly(4, 8, 8, 8);
            assertThat(v.counters().nfe()).isEqualTo(6);
        }
    }

    @Test
    void settingsAreCheckedAgainstTheModelWithMessagesNamingTheField() {
        SamplingParams ok = sd1.defaultParams();
        assertThat(sd1.violations(ok)).isEmpty();
        assertThat(sd1.sizeFactor()).isEqualTo(4);
        assertThat(sd1.violations(ok.withSize(30, 32))).anySatisfy(m -> assertThat(m.toString()).startsWith("width: must be a multiple of 4"));
        assertThat(sd1.violations(ok.withSize(64, 64))).anySatisfy(m -> assertThat(m.toString()).startsWith("width: model tiny-sd only makes 32"));
        assertThat(sd1.violations(ok.withSteps(0))).anySatisfy(m -> assertThat(m.toString()).startsWith("steps: must be between 1 and 1000"));
        assertThat(sd1.violations(ok.withSteps(0))).containsExactly(new ParamViolation(ParamViolation.Param.STEPS,
                ParamViolation.RANGE, "must be between 1 and 1000, was 0"));
        assertThat(sd1.violations(ok.withSize(30, 32))).extracting(ParamViolation::param, ParamViolation::rule)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ParamViolation.Param.WIDTH, ParamViolation.MODEL_SIZE));
        assertThat(sd1.violations(ok.withFrames(8))).extracting(ParamViolation::param, ParamViolation::rule)
                .contains(org.assertj.core.groups.Tuple.tuple(ParamViolation.Param.FRAMES, ParamViolation.MODEL_KIND));
        // a refusal of the sampler itself is filed under the setting its message names
        ParamViolation lcm = sd1.violations(ok.withSampler("lcm").withSteps(999)).get(0);
        assertThat(lcm.param()).isEqualTo(ParamViolation.Param.STEPS);
        assertThat(lcm.rule()).isEqualTo(ParamViolation.SAMPLER_CONFIG);
        assertThat(lcm.message()).startsWith("lcm needs steps <= original_inference_steps");
        assertThat(lcm.toString()).startsWith("steps: lcm needs");
        assertThat(sd1.violations(ok.withSteps(1001))).anySatisfy(m -> assertThat(m.toString()).startsWith("steps:"));
        assertThat(sd1.violations(ok.withSampler("plms"))).anySatisfy(m -> assertThat(m.toString()).startsWith("sampler: unknown 'plms'"));
        assertThat(sd1.violations(ok.withGuidance(-1))).anySatisfy(m -> assertThat(m.toString()).startsWith("guidance:"));
        assertThat(sd1.violations(ok.withFrames(8))).anySatisfy(m -> assertThat(m.toString()).startsWith("frames: model tiny-sd is an image model"));
        try (Engine uncond = TestModels.open("tiny-uncond", 1)) {
            assertThat(uncond.violations(uncond.defaultParams().withGuidance(7.5)))
                    .anySatisfy(m -> assertThat(m.toString()).startsWith("guidance: model tiny-uncond is unconditional"));
        }
        assertThatThrownBy(() -> sd1.generate(specs(ok.withSteps(0), "x", 1)))
                .isInstanceOf(EngineException.class).hasMessageStartingWith("item 0: steps:");
    }

    @Test
    void aPromptOverTheTokenLimitIsTruncatedAndSaysSo() {
        SamplingParams p = sd1.defaultParams().withSteps(2);
        GeneratedItem shortOne = sd1.generate(specs(p, "a red circle", 1)).get(0);
        GeneratedItem longOne = sd1.generate(specs(p, "a small red circle at the top left on a white background", 1)).get(0);
        assertThat(shortOne.promptTruncated()).isFalse();
        assertThat(longOne.promptTruncated()).isTrue();
        assertThat(longOne.promptTokens()).isGreaterThan(8);
    }

    @Test
    void badModelFoldersGetClearErrors(@TempDir Path empty) {
        assertThatThrownBy(() -> TestModels.open("bad-unet-inputs", 1))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("unet:").hasMessageContaining("must have exactly sample, timestep");
        assertThatThrownBy(() -> Engine.open(empty.resolve("nope"), EngineOptions.cpu()))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Engine.open(empty, EngineOptions.cpu()))
                .hasMessageContaining("has no model_index.json");
    }

    @Test
    void cudaWithoutCudaIsAClearError() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA));
        assertThatThrownBy(() -> Engine.open(TestModels.dir("tiny-sd"), new EngineOptions("cuda", 0, 0, 1)))
                .isInstanceOf(EngineException.class)
                .hasMessageStartingWith("device: cuda was requested but this build of ONNX Runtime has no CUDA");
    }

    @Test
    void aVaeConfigThatContradictsItsGraphIsRefused(@TempDir Path dir) throws Exception {
        // an SDXL folder with a float16 VAE graph + force_upcast: its pipeline would decode in float32, which this
        // graph cannot; SD 1.x's pipeline has no such rule (diffusers writes force_upcast into every VAE config)
        Path xl = TestModels.copy("diffusers/sdxl", dir.resolve("xl"));
        java.nio.file.Files.copy(TestModels.dir("diffusers/sd15-fp16/vae_decoder/model.onnx"),
                xl.resolve("vae_decoder/model.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        writeVaeConfig(xl, "\"force_upcast\": true");
        assertThatThrownBy(() -> Engine.open(xl, EngineOptions.cpu())).isInstanceOf(EngineException.class)
                .hasMessageContaining("force_upcast").hasMessageContaining("export the VAE decoder in float32");
        writeVaeConfig(xl, "\"force_upcast\": false");
        Engine.open(xl, EngineOptions.cpu()).close();
        Path half = TestModels.copy("tiny-sd-fp16", dir.resolve("half"));
        writeVaeConfig(half, "\"force_upcast\": true");
        Engine.open(half, EngineOptions.cpu()).close();
        // tiny-sd's VAE upscales 4x: 3 blocks agree (2^2), 2 blocks do not
        Path sd = TestModels.copy("tiny-sd", dir.resolve("sd"));
        writeVaeConfig(sd, "\"block_out_channels\": [8, 8, 8]");
        Engine.open(sd, EngineOptions.cpu()).close();
        writeVaeConfig(sd, "\"block_out_channels\": [8, 8]");
        assertThatThrownBy(() -> Engine.open(sd, EngineOptions.cpu())).isInstanceOf(EngineException.class)
                .hasMessageContaining("upscales latents 4×").hasMessageContaining("factor 2");
    }

    @Test
    void aSizeTheGraphFixesWinsOverUnetConfig(@TempDir Path dir) throws Exception {
        // graphs with dynamic sides take unet/config.json's sample_size: DiffusersFixturesTest
        Path sd = TestModels.copy("tiny-sd", dir.resolve("sd"));
        java.nio.file.Files.writeString(sd.resolve("unet/config.json"), "{\"sample_size\": [12, 20]}");
        try (Engine fixed = Engine.open(sd, EngineOptions.cpu())) {
            assertThat(fixed.nativeWidth()).isEqualTo(32);
            assertThat(fixed.nativeHeight()).isEqualTo(32);
        }
    }

    private static void writeVaeConfig(Path model, String field) throws java.io.IOException {
        java.nio.file.Files.writeString(model.resolve("vae_decoder/config.json"),
                "{\"scaling_factor\": 0.18215, " + field + "}");
    }
}
