package io.diffusionbatch.engine.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;

class SamplersTest {

    private static final SchedulerConfig SD15 = SchedulerConfig.fromJson("""
            {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "steps_offset": 1, "set_alpha_to_one": false, "clip_sample": false}""");

    private static final StepNoise NO_NOISE = (sample, step, length) -> {
        throw new AssertionError("noise asked for at step " + step);
    };

    @Test
    void listsTheSamplerNames() {
        assertThat(Samplers.names())
                .containsExactly("ddpm", "ddim", "euler", "euler-a", "dpmpp-2m", "dpmpp-2m-karras", "lcm");
        for (String name : Samplers.names()) {
            assertThat(Samplers.create(name, SD15, 4, 0).name()).isEqualTo(name);
        }
    }

    @Test
    void unknownNameIsRejectedWithTheAllowedValues() {
        assertThatThrownBy(() -> Samplers.create("heun", SD15, 10, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sampler: unknown 'heun'; one of ddpm, ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, lcm");
        assertThatThrownBy(() -> Samplers.isStochastic("DDIM", 0)).hasMessageContaining("sampler: unknown 'DDIM'");
    }

    @Test
    void stepsOutsideTheTrainingRangeAreRejected() {
        assertThatThrownBy(() -> Samplers.create("ddim", SD15, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("steps: must be between 1 and num_train_timesteps (1000), got 0");
        assertThatThrownBy(() -> Samplers.create("euler", SD15, 1001, 0))
                .hasMessageContaining("steps: must be between 1 and num_train_timesteps (1000), got 1001");
        assertThatThrownBy(() -> Samplers.create("lcm", SD15, 51, 0))
                .hasMessageContaining("steps: lcm needs steps <= original_inference_steps (50)");
        // leading spacing with steps_offset 1 and 1000 steps would address timestep 1000
        assertThatThrownBy(() -> Samplers.create("ddim", SD15, 1000, 0)).hasMessageContaining("steps: 1000");
        assertThatThrownBy(() -> Samplers.create("dpmpp-2m", SD15, 1000, 0)).hasMessageContaining("steps: 1000");
    }

    @Test
    void etaOutsideZeroToOneIsRejectedForDdim() {
        assertThatThrownBy(() -> Samplers.create("ddim", SD15, 10, -0.1)).hasMessageContaining("eta: must be in [0, 1]");
        assertThatThrownBy(() -> Samplers.create("ddim", SD15, 10, Double.NaN)).hasMessageContaining("eta");
        assertThat(Samplers.create("euler", SD15, 10, 3.0)).isNotNull(); // ignored elsewhere
    }

    @Test
    void eulerAncestralRejectsSamplePrediction() {
        assertThatThrownBy(() -> Samplers.create("euler-a", SD15.withPredictionType(PredictionType.SAMPLE), 10, 0))
                .hasMessageContaining("prediction_type: 'sample' is not supported by euler-a");
    }

    @Test
    void tellsWhichSamplersAreStochastic() {
        assertThat(Samplers.isStochastic("ddpm", 0)).isTrue();
        assertThat(Samplers.isStochastic("euler-a", 0)).isTrue();
        assertThat(Samplers.isStochastic("lcm", 0)).isTrue();
        assertThat(Samplers.isStochastic("ddim", 0)).isFalse();
        assertThat(Samplers.isStochastic("ddim", 0.3)).isTrue();
        assertThat(Samplers.isStochastic("euler", 0)).isFalse();
        assertThat(Samplers.isStochastic("dpmpp-2m", 0)).isFalse();
        assertThat(Samplers.isStochastic("dpmpp-2m-karras", 0)).isFalse();
        for (String name : Samplers.names()) {
            assertThat(Samplers.create(name, SD15, 5, 0.5).isStochastic()).as(name)
                    .isEqualTo(Samplers.isStochastic(name, 0.5));
        }
    }

    @Test
    void multistepSolverInsistsOnStepOrderAndShapes() {
        Sampler s = Samplers.create("dpmpp-2m", SD15, 5, 0);
        float[][] x = {{1f, 2f}};
        assertThatThrownBy(() -> s.step(1, x, new float[][] {{0f, 0f}}, NO_NOISE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("expected step 0");
        assertThatThrownBy(() -> s.step(0, x, new float[][] {{0f}}, NO_NOISE))
                .hasMessageContaining("modelOutput");
        assertThatThrownBy(() -> s.step(5, x, new float[][] {{0f, 0f}}, NO_NOISE))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("step");
    }

    /**
     * With an oracle network that returns the true ε of x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, deterministic DDIM lands
     * exactly on √ᾱ_prev·x₀ + √(1−ᾱ_prev)·ε (Song et al. 2021, eq. 12 with σ = 0).
     */
    @Test
    void ddimWithAnOracleStaysOnTheForwardProcess() {
        SchedulerConfig c = SD15.withTimestepSpacing(TimestepSpacing.TRAILING);
        NoiseSchedule schedule = NoiseSchedule.of(c.withDefaults(DdimSampler.DEFAULTS));
        Sampler s = Samplers.create("ddim", c, 5, 0);
        double x0 = 0.7;
        double eps = -1.3;
        double[] ts = s.timesteps();
        float[][] x = {{(float) forward(schedule.alphaCumprod((int) ts[0]), x0, eps)}};
        for (int i = 0; i < ts.length; i++) {
            s.step(i, x, new float[][] {{(float) eps}}, NO_NOISE);
            int prev = (int) ts[i] - 200;
            double ac = prev >= 0 ? schedule.alphaCumprod(prev) : schedule.alphaCumprod(0); // set_alpha_to_one false
            assertThat((double) x[0][0]).as("step " + i).isCloseTo(forward(ac, x0, eps), within(2e-6));
        }
    }

    /** With the true ε, an Euler step from x = x₀ + σ_i·ε lands exactly on x₀ + σ_{i+1}·ε. */
    @Test
    void eulerWithAnOracleStaysOnTheSigmaPath() {
        Sampler s = Samplers.create("euler", SD15.withTimestepSpacing(TimestepSpacing.LEADING), 6, 0);
        double[] sig = s.sigmas();
        double x0 = 0.4;
        double eps = 0.9;
        float[][] x = {{(float) (x0 + sig[0] * eps)}};
        for (int i = 0; i < 6; i++) {
            s.step(i, x, new float[][] {{(float) eps}}, NO_NOISE);
            assertThat((double) x[0][0]).isCloseTo(x0 + sig[i + 1] * eps, within(1e-5));
        }
        assertThat((double) x[0][0]).isCloseTo(x0, within(1e-6));
        assertThat(s.inputScale(2)).isCloseTo(1 / Math.sqrt(sig[2] * sig[2] + 1), within(1e-15));
        // leading spacing: initial noise std √(σ_max² + 1); linspace: σ_max
        assertThat(s.initNoiseSigma()).isCloseTo(Math.sqrt(sig[0] * sig[0] + 1), within(1e-12));
        Sampler lin = Samplers.create("euler", SD15, 6, 0); // EulerDiscreteScheduler defaults to linspace
        assertThat(lin.initNoiseSigma()).isEqualTo(lin.sigmas()[0]);
    }

    /**
     * DPM-Solver++ is exact when the data prediction is constant: with the true ε (so x̂₀ ≡ x₀) the VP sample
     * α_σ·x₀ + σ·α_σ·ε maps to the same form at the next σ, for first- and second-order steps alike.
     */
    @Test
    void dpmSolverWithAnOracleStaysOnTheForwardProcess() {
        for (String name : new String[] {"dpmpp-2m", "dpmpp-2m-karras"}) {
            Sampler s = Samplers.create(name, SD15, 8, 0);
            double[] sig = s.sigmas();
            double x0 = -0.6;
            double eps = 1.1;
            float[][] x = {{(float) vp(sig[0], x0, eps)}};
            for (int i = 0; i < 8; i++) {
                s.step(i, x, new float[][] {{(float) eps}}, NO_NOISE);
                assertThat((double) x[0][0]).as(name + " step " + i).isCloseTo(vp(sig[i + 1], x0, eps), within(2e-6));
            }
            assertThat(s.initNoiseSigma()).isEqualTo(1.0);
            assertThat(sig[sig.length - 1]).isZero();
        }
    }

    @Test
    void lcmDenoisesToTheOracleX0AtTheLastStep() {
        Sampler s = Samplers.create("lcm", SD15, 1, 0);
        assertThat(s.timesteps()).containsExactly(999);
        NoiseSchedule schedule = NoiseSchedule.of(SD15.withDefaults(LcmSampler.DEFAULTS));
        double x0 = 0.25;
        double eps = 0.5;
        double xt = forward(schedule.alphaCumprod(999), x0, eps);
        float[][] x = {{(float) xt}};
        s.step(0, x, new float[][] {{(float) eps}}, NO_NOISE);
        double scaled = 9990;
        double cSkip = 0.25 / (scaled * scaled + 0.25);
        double cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
        assertThat((double) x[0][0]).isCloseTo(cOut * x0 + cSkip * xt, within(1e-6));
    }

    @Test
    void samplesOfABatchDoNotInfluenceEachOther() {
        for (String name : Samplers.names()) {
            Sampler alone = Samplers.create(name, SD15, 4, 0.5);
            Sampler batch = Samplers.create(name, SD15, 4, 0.5);
            StepNoise noise = (sample, step, length) -> {
                float[] z = new float[length];
                for (int j = 0; j < length; j++) {
                    z[j] = (float) Math.sin(7 * sample + 3 * step + j);
                }
                return z;
            };
            float[][] a = {{0.3f, -1.2f}};
            float[][] b = {{5f, 5f}, {0.3f, -1.2f}};
            for (int i = 0; i < 4; i++) {
                alone.step(i, a, new float[][] {{0.1f * a[0][0], 0.2f}}, (s, st, len) -> noise.noise(1, st, len));
                batch.step(i, b, new float[][] {{-3f, 4f}, {0.1f * b[1][0], 0.2f}}, noise);
            }
            assertThat(b[1]).as(name).containsExactly(a[0]);
        }
    }

    private static double forward(double alphaCumprod, double x0, double eps) {
        return Math.sqrt(alphaCumprod) * x0 + Math.sqrt(1 - alphaCumprod) * eps;
    }

    private static double vp(double sigma, double x0, double eps) {
        double alpha = 1 / Math.sqrt(sigma * sigma + 1);
        return alpha * x0 + sigma * alpha * eps;
    }
}
