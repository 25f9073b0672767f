package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's geometry as the engine reads it from the graphs, its checks and its memory estimate. */
class ModelGeometryTest {

    private static final Path MODELS = Path.of("src/engine/src/test/resources/models");

    private static ModelGeometry geometry(String folder) {
        try (Engine e = Engine.open(MODELS.resolve(folder), EngineOptions.cpu())) {
            return e.geometry();
        }
    }

    @Test
    void isReadFromTheGraphsOfEachKindOfModel() {
        // tiny-sd: latent [batch,4,8,8], the VAE makes [batch,3,32,32]
        assertThat(geometry("tiny-sd")).usingRecursiveComparison().ignoringFields("scheduler")
                .isEqualTo(new ModelGeometry("tiny-sd", false, true, true, 4, 4, 3, 32, 32, 0));
        // tiny-pixel: no VAE, sample [batch,3,16,16]
        assertThat(geometry("tiny-pixel")).usingRecursiveComparison().ignoringFields("scheduler")
                .isEqualTo(new ModelGeometry("tiny-pixel", false, true, false, 1, 3, 3, 16, 16, 0));
        // tiny-video: [batch,4,8,8,8] = 8 frames fixed
        assertThat(geometry("tiny-video")).usingRecursiveComparison().ignoringFields("scheduler")
                .isEqualTo(new ModelGeometry("tiny-video", true, true, true, 4, 4, 3, 32, 32, 8));
        assertThat(geometry("tiny-uncond").conditional()).isFalse();
    }

    @Test
    void theEngineAppliesTheSameChecks() {
        try (Engine e = Engine.open(MODELS.resolve("tiny-sd"), EngineOptions.cpu().withBatchSize(4))) {
            SamplingParams p = e.defaultParams();
            for (SamplingParams q : List.of(p, p.withSize(7, 32), p.withSize(64, 64), p.withFrames(3))) {
                assertThat(e.violations(q)).containsAll(e.geometry().violations(q, 4));
            }
        }
    }

    @Test
    void refusesSizesTheModelCannotMake() {
        ModelGeometry fixed = new ModelGeometry("m", false, true, true, 4, 4, 3, 32, 32, 0);
        SamplingParams p = SamplingParams.defaults(32, 32);
        assertThat(fixed.violations(p, 8)).isEmpty();
        assertThat(fixed.violations(p.withSize(7, 32), 8)).extracting(ParamViolation::param, ParamViolation::rule,
                ParamViolation::message).containsExactly(tuple(ParamViolation.Param.WIDTH, ParamViolation.MODEL_SIZE,
                "must be a multiple of 4 for model m (its VAE's scale factor), was 7"));
        assertThat(fixed.violations(p.withSize(32, 64), 8)).extracting(ParamViolation::param, ParamViolation::message)
                .containsExactly(tuple(ParamViolation.Param.HEIGHT, "model m only makes 32 (fixed in its graph), was 64"));
        ModelGeometry dynamic = new ModelGeometry("d", false, true, true, 8, 4, 3, 0, 0, 0);
        assertThat(dynamic.violations(p.withSize(512, 768), 8)).isEmpty();
        assertThat(dynamic.violations(p.withSize(8192, 8192), 8)).extracting(ParamViolation::rule)
                .containsExactly(ParamViolation.TENSOR_SIZE); // 8 × 4 × 8192² values in one array
        ModelGeometry video = new ModelGeometry("v", true, true, true, 4, 4, 3, 32, 32, 8);
        assertThat(video.violations(p.withFrames(4), 2)).extracting(ParamViolation::rule)
                .containsExactly(ParamViolation.MODEL_SIZE);
        ModelGeometry uncond = new ModelGeometry("u", false, false, true, 4, 4, 3, 0, 0, 0);
        assertThat(uncond.violations(p.withGuidance(7.5), 1)).extracting(ParamViolation::param, ParamViolation::rule)
                .containsExactly(tuple(ParamViolation.Param.GUIDANCE, ParamViolation.MODEL_KIND));
    }

    @Test
    void estimatesTheBuffersOfOneMicroBatch() {
        ModelGeometry ldm = new ModelGeometry("d", false, true, true, 8, 4, 3, 0, 0, 0);
        // 512x512, batch 4 with guidance: L = 4·64·64 = 16384, P = 3·512·512 = 786432, r = 8
        // denoise 4·4·L + 5·8·L = 56 L; decode 5·4·L + 3·4·P; 4 bytes a value
        long expected = 4L * (56L * 16384 + 20L * 16384 + 12L * 786432);
        SamplingParams p = SamplingParams.defaults(512, 512);
        assertThat(ldm.batchBytes(p, 4)).isEqualTo(expected);
        // without guidance the UNet has half the rows
        assertThat(ldm.batchBytes(p.withGuidance(1.0), 4)).isEqualTo(4L * (36L * 16384 + 20L * 16384 + 12L * 786432));
        // linear in the pixels: 8192² is 256 times 512²
        assertThat(ldm.batchBytes(p.withSize(8192, 8192), 4)).isEqualTo(256 * expected);
        assertThat(ModelGeometry.gib(256 * expected)).isEqualTo("10.2 GiB");
        // video: every frame counts
        ModelGeometry video = new ModelGeometry("v", true, true, true, 4, 4, 3, 0, 0, 0);
        assertThat(video.batchBytes(SamplingParams.defaults(32, 32).withFrames(8), 2))
                .isEqualTo(8 * video.batchBytes(SamplingParams.defaults(32, 32).withFrames(1), 2));
        // a pixel model decodes nothing
        ModelGeometry pixel = new ModelGeometry("p", false, true, false, 1, 3, 3, 0, 0, 0);
        assertThat(pixel.batchBytes(SamplingParams.defaults(16, 16), 1)).isEqualTo(4L * (4 + 5 * 2 + 2) * 768);
    }
}
