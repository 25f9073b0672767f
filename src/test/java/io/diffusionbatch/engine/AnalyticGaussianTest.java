package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffusionbatch.engine.noise.SeedNoise;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Deterministic samplers on the analytic model: data ~ N(μ, σ²I) with μ = 0.5, σ = 0.3, whose exact
 * noise prediction is the UNet of {@code analytic-gaussian}. For such data the probability-flow
 * ODE is the affine map that keeps the standardised coordinate fixed:
 * {@code (x_t − √ᾱ_t μ) / s_t = z} with {@code s_t = √(ᾱ_t σ² + 1 − ᾱ_t)}. Starting from the seed
 * noise ε at the first timestep t₀, the exact end point after a run that ends at ᾱ_end is
 * {@code √ᾱ_end μ + s_end (ε − √ᾱ_{t₀} μ) / s_{t₀}} — a closed form for every sample.
 */
class AnalyticGaussianTest {

    private static final double MU = 0.5;
    private static final double SIGMA = 0.3;
    private static final int SEEDS = 32;
    private static Engine engine;
    private static NoiseSchedule schedule;
    private static SchedulerConfig config;

    @BeforeAll
    static void open() {
        engine = TestModels.open("analytic-gaussian", SEEDS);
        config = SchedulerConfig.fromFile(engine.model().schedulerConfig());
        schedule = NoiseSchedule.of(config);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Runs the sampler over all seeds and returns every sample's final values, concatenated. */
    private static double[][] run(String sampler, int steps) {
        SamplingParams p = new SamplingParams(sampler, steps, 1.0, 0, 0, 8, 8, 0, "trailing", null);
        List<GenerationSpec> specs = new ArrayList<>();
        for (int s = 0; s < SEEDS; s++) {
            specs.add(new GenerationSpec("", "", 1000 + s, p));
        }
        List<GeneratedItem> items = engine.generate(specs);
        double[][] out = new double[SEEDS][];
        for (int s = 0; s < SEEDS; s++) {
            float[] v = items.get(s).latent();
            out[s] = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                out[s][j] = v[j];
            }
        }
        return out;
    }

    /** The exact end point for every sample: trailing spacing starts all runs at t₀ = 999. */
    private static double[][] exact(double alphaEnd) {
        double a0 = schedule.alphasCumprod()[999];
        double s0 = Math.sqrt(a0 * SIGMA * SIGMA + 1 - a0);
        double sEnd = Math.sqrt(alphaEnd * SIGMA * SIGMA + 1 - alphaEnd);
        double[][] out = new double[SEEDS][];
        for (int s = 0; s < SEEDS; s++) {
            float[] eps = SeedNoise.gaussian(1000 + s, 0, 3 * 8 * 8);
            out[s] = new double[eps.length];
            for (int j = 0; j < eps.length; j++) {
                out[s][j] = Math.sqrt(alphaEnd) * MU + sEnd * (eps[j] - Math.sqrt(a0) * MU) / s0;
            }
        }
        return out;
    }

    private static double rmsError(double[][] a, double[][] b) {
        double ss = 0;
        long n = 0;
        for (int s = 0; s < a.length; s++) {
            for (int j = 0; j < a[s].length; j++) {
                ss += (a[s][j] - b[s][j]) * (a[s][j] - b[s][j]);
                n++;
            }
        }
        return Math.sqrt(ss / n);
    }

    /** DDIM ends at ᾱ_0 of the schedule (set_alpha_to_one false); the sigma samplers end at σ = 0. */
    private static double alphaEnd(String sampler) {
        return sampler.equals("ddim") ? schedule.alphasCumprod()[0] : 1.0;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ddim, 0.7, 1.35", "euler, 0.7, 1.35", "dpmpp-2m, 1.6, 2.6", "dpmpp-2m-karras, 1.6, 2.6"})
    void convergesToTheExactMapAtTheExpectedOrder(String sampler, double minOrder, double maxOrder) {
        double[][] exact = exact(alphaEnd(sampler));
        int[] steps = {10, 20, 40, 100};
        double[] err = new double[steps.length];
        for (int i = 0; i < steps.length; i++) {
            err[i] = rmsError(run(sampler, steps[i]), exact);
        }
        // least-squares slope of log(error) against log(step size)
        double mx = 0, my = 0;
        for (int i = 0; i < steps.length; i++) {
            mx += Math.log(1.0 / steps[i]) / steps.length;
            my += Math.log(err[i]) / steps.length;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < steps.length; i++) {
            double dx = Math.log(1.0 / steps[i]) - mx;
            sxy += dx * (Math.log(err[i]) - my);
            sxx += dx * dx;
        }
        double order = sxy / sxx;
        System.out.printf(Locale.ROOT, "analytic %s: rms error at %s steps = %.3e %.3e %.3e %.3e, observed order %.2f%n",
                sampler, java.util.Arrays.toString(steps), err[0], err[1], err[2], err[3], order);
        assertThat(order).as("observed order of %s", sampler).isBetween(minOrder, maxOrder);
        assertThat(err[3]).as("error at 100 steps").isLessThan(0.01);

        // the 1000-step run is the reference the issue names; it must sit on the exact map too
        double[][] reference = run(sampler, 1000);
        assertThat(rmsError(reference, exact)).isLessThan(err[3]);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ddim", "euler", "dpmpp-2m", "dpmpp-2m-karras"})
    void mapsNoiseToTheDataDistribution(String sampler) {
        double[][] x = run(sampler, 50);
        double sum = 0, sq = 0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) {
                sum += v;
                sq += v * v;
                n++;
            }
        }
        double mean = sum / n, var = sq / n - mean * mean;
        // the closed-form moments of the end point (they include the small bias of starting
        // from N(0, I) instead of the exact marginal at t₀ = 999)
        double a0 = schedule.alphasCumprod()[999], aEnd = alphaEnd(sampler);
        double s0 = Math.sqrt(a0 * SIGMA * SIGMA + 1 - a0), sEnd = Math.sqrt(aEnd * SIGMA * SIGMA + 1 - aEnd);
        double expectedMean = Math.sqrt(aEnd) * MU - sEnd * Math.sqrt(a0) * MU / s0;
        double expectedVar = sEnd * sEnd / (s0 * s0);
        System.out.printf(Locale.ROOT, "analytic %s at 50 steps: mean %.4f (expected %.4f, data %.2f), var %.4f (expected %.4f, data %.2f)%n",
                sampler, mean, expectedMean, MU, var, expectedVar, SIGMA * SIGMA);
        // n = 6144 values: standard error of the mean 0.004, of the variance 0.0017
        assertThat(mean).isCloseTo(expectedMean, org.assertj.core.data.Offset.offset(0.016));
        assertThat(var).isCloseTo(expectedVar, org.assertj.core.data.Offset.offset(0.007));
        assertThat(mean).isCloseTo(MU, org.assertj.core.data.Offset.offset(0.03));
        assertThat(var).isCloseTo(SIGMA * SIGMA, org.assertj.core.data.Offset.offset(0.01));
    }
}
