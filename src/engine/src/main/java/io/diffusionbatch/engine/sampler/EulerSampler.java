package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.BetaSchedule;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import io.diffusionbatch.engine.schedule.Timesteps;

/**
 * The deterministic Euler solver of the probability-flow ODE in σ-parameterisation (x = x₀ + σ·ε), Karras,
 * Aittala, Aila &amp; Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative Models"
 * (NeurIPS 2022, arXiv:2206.00364), algorithm 2 without churn: x ← x + (x − x̂₀)/σ_i · (σ_{i+1} − σ_i).
 * Tables as diffusers' {@code EulerDiscreteScheduler} (interpolation "linear", final σ 0): timesteps are
 * fractional for "linspace" spacing, σ is interpolated linearly in t from the training σ table, the network
 * sees {@code x / √(σ² + 1)}, and the initial noise has standard deviation σ_max ("linspace"/"trailing")
 * or √(σ_max² + 1) ("leading").
 *
 * <p>One instance per run; not thread-safe. Arguments are never null.
 */
public class EulerSampler extends AbstractSampler {

    /** EulerDiscreteScheduler's (and EulerAncestralDiscreteScheduler's) defaults. */
    public static final SchedulerConfig.Defaults DEFAULTS =
            new SchedulerConfig.Defaults(0.0001, 0.02, BetaSchedule.LINEAR, TimestepSpacing.LINSPACE, false);

    /** ᾱ used for the last training step after a zero-SNR rescale, as diffusers does (2⁻²⁴). */
    static final double ZERO_SNR_TERMINAL_ALPHA_CUMPROD = 0x1p-24;

    private final double initNoiseSigma;

    EulerSampler(SchedulerConfig config, int steps) {
        this("euler", config, steps);
    }

    EulerSampler(String name, SchedulerConfig config, int steps) {
        this(name, config.withDefaults(DEFAULTS), tables(config.withDefaults(DEFAULTS), steps));
    }

    private EulerSampler(String name, SchedulerConfig c, double[][] tables) {
        super(name, c, tables[0], tables[1]);
        double max = 0;
        for (double s : sigmas) {
            max = Math.max(max, s);
        }
        this.initNoiseSigma = c.timestepSpacing() == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max;
    }

    /** {timesteps, sigmas incl. the final 0} for the Euler schedulers. */
    static double[][] tables(SchedulerConfig c, int steps) {
        NoiseSchedule schedule = sigmaSchedule(c);
        int t = c.numTrainTimesteps();
        double[] ts = switch (c.timestepSpacing()) {
            case LINSPACE -> reversed(Timesteps.linspace(0, t - 1, steps));
            case LEADING -> Timesteps.leading(t, steps, c.stepsOffset());
            case TRAILING -> Timesteps.trailing(t, t, steps);
        };
        double[] train = schedule.sigmas();
        double[] sigmas = new double[ts.length + 1];
        for (int i = 0; i < ts.length; i++) {
            sigmas[i] = Timesteps.interp(ts[i], train);
        }
        sigmas[ts.length] = 0.0;
        return new double[][] {ts, sigmas};
    }

    /** The training schedule with the terminal ᾱ floor the σ-based diffusers schedulers apply after a zero-SNR rescale. */
    static NoiseSchedule sigmaSchedule(SchedulerConfig c) {
        NoiseSchedule schedule = NoiseSchedule.of(c);
        return c.rescaleBetasZeroSnr() ? schedule.withTerminalAlphaCumprod(ZERO_SNR_TERMINAL_ALPHA_CUMPROD) : schedule;
    }

    static double[] reversed(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    @Override
    public final double initNoiseSigma() {
        return initNoiseSigma;
    }

    @Override
    public final double inputScale(int step) {
        checkStep(step);
        double s = sigmas[step];
        return 1.0 / Math.sqrt(s * s + 1);
    }

    /** x̂₀ in the σ-parameterisation (x = x₀ + σ·ε) from the network output for {@code x / √(σ²+1)}. */
    static double predictX0Sigma(PredictionType type, double sigma, double x, double out) {
        return switch (type) {
            case EPSILON -> x - sigma * out;
            case SAMPLE -> out;
            case V_PREDICTION -> out * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
        };
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        double sigma = sigmas[step];
        double dt = sigmas[step + 1] - sigma;
        PredictionType type = config.predictionType();
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double x0 = predictX0Sigma(type, sigma, xv, ob[j]);
                double derivative = (xv - x0) / sigma;
                xb[j] = (float) (xv + derivative * dt);
            }
        }
    }
}
