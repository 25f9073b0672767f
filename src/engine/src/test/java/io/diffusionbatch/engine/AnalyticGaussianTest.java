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

    /** Runs the sampler over all seeds and returns every sample's final values. */
    private static double[][] run(String sampler, String spacing, int steps) {
        SamplingParams p = new SamplingParams(sampler, steps, 1.0, 0, 0, 8, 8, 0, spacing, null);
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

    /** The exact end point for every sample of a run that starts at t₀ = 999. */
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

    /**
     * Error against the sampler's own 999/1000-step run, at 10 to 160 steps; the observed order is
     * the least-squares slope of log(error) against log(step size). DDIM and Euler are first
     * order. DPM-Solver++ 2M is second order on Karras sigmas; on a grid uniform in t its order
     * falls to about 1, because near t = 0 such a grid takes steps in log-SNR that shrink only
     * like log N, and those steps dominate the error (the numpy reference shows the same).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ddim, leading, 999, 0.7, 1.3", "euler, leading, 999, 0.7, 1.3",
            "dpmpp-2m-karras, leading, 999, 1.4, 2.5", "dpmpp-2m, trailing, 1000, 0.8, 1.5"})
    void errorShrinksAtTheSolversOrder(String sampler, String spacing, int referenceSteps, double minOrder,
                                       double maxOrder) {
        double[][] reference = run(sampler, spacing, referenceSteps);
        int[] steps = {10, 20, 40, 80, 160};
        double[] err = new double[steps.length];
        for (int i = 0; i < steps.length; i++) {
            err[i] = rmsError(run(sampler, spacing, steps[i]), reference);
        }
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
        System.out.printf(Locale.ROOT, "analytic %s (%s): rms error vs %d steps at %s steps = %s, observed order %.2f%n",
                sampler, spacing, referenceSteps, java.util.Arrays.toString(steps),
                java.util.Arrays.stream(err).mapToObj(e -> String.format(Locale.ROOT, "%.2e", e)).toList(), order);
        assertThat(order).as("observed order of %s", sampler).isBetween(minOrder, maxOrder);
        for (int i = 1; i < steps.length; i++) {
            assertThat(err[i]).as("error shrinks from %d to %d steps", steps[i - 1], steps[i]).isLessThan(err[i - 1]);
        }
    }

    /** With many steps every deterministic sampler lands on the exact map, so on N(μ, σ²). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ddim, leading, 999", "euler, leading, 999", "dpmpp-2m, trailing, 1000",
            "dpmpp-2m-karras, leading, 999"})
    void mapsNoiseToTheDataDistribution(String sampler, String spacing, int steps) {
        double[][] x = run(sampler, spacing, steps);
        double[][] exact = exact(alphaEnd(sampler));
        double rms = rmsError(x, exact);
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
        double exactMean = 0, exactSq = 0;
        for (double[] row : exact) {
            for (double v : row) {
                exactMean += v / n;
                exactSq += v * v / n;
            }
        }
        double exactVar = exactSq - exactMean * exactMean;
        System.out.printf(Locale.ROOT, "analytic %s at %d steps: rms vs exact map %.2e; mean %.4f (exact map %.4f, data %.2f),"
                + " var %.4f (exact map %.4f, data %.2f)%n", sampler, steps, rms, mean, exactMean, MU, var, exactVar, SIGMA * SIGMA);
        assertThat(rms).isLessThan(6e-3);
        assertThat(mean).isCloseTo(exactMean, org.assertj.core.data.Offset.offset(2e-3));
        assertThat(var).isCloseTo(exactVar, org.assertj.core.data.Offset.offset(3e-3));
        // and the exact map's moments are the data's, up to the start at N(0, I) and 6144 samples
        assertThat(mean).isCloseTo(MU, org.assertj.core.data.Offset.offset(0.03));
        assertThat(var).isCloseTo(SIGMA * SIGMA, org.assertj.core.data.Offset.offset(0.01));
    }
}
