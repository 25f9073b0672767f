package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.BetaSchedule;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import io.diffusionbatch.engine.schedule.Timesteps;

/**
 * DPM-Solver++(2M), the second-order multistep data-prediction solver of Lu, Zhou, Bao, Chen, Li &amp; Zhu 2022,
 * "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models" (arXiv:2211.01095),
 * algorithm 2 with the "midpoint" correction D = D₀ + ½·(D₀ − D₋₁)/r. With the {@code karras} flag the σ
 * table is the ρ = 7 schedule of Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based
 * Generative Models" (arXiv:2206.00364), and timesteps are recovered from σ by log-σ interpolation, rounded
 * to the nearest integer (half to even), or truncated toward zero when the beta schedule is squaredcos_cap_v2
 * (diffusers skips the rounding there but still stores the timesteps as int64); the σ values themselves are
 * not changed, so only the timestep the network sees moves.
 *
 * <p>Matches diffusers' {@code DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2,
 * solver_type="midpoint", lower_order_final=True, euler_at_final=False, final_sigmas_type="zero")}:
 * the first step and the last step (final σ = 0) are first-order, the sample is not rescaled before the
 * network, and the initial noise has standard deviation 1.
 *
 * <p>Keeps the previous step's x̂₀ per sample, so steps must be taken in order 0, 1, 2, …; one instance per
 * run; not thread-safe. Arguments are never null.
 */
public final class DpmSolverPlusPlus2MSampler extends AbstractSampler {

    /** DPMSolverMultistepScheduler's defaults. */
    public static final SchedulerConfig.Defaults DEFAULTS =
            new SchedulerConfig.Defaults(0.0001, 0.02, BetaSchedule.LINEAR, TimestepSpacing.LINSPACE, false);

    private final boolean karras;
    private double[][] previousX0;
    private int nextStep;

    DpmSolverPlusPlus2MSampler(SchedulerConfig config, int steps, boolean karras) {
        this(karras ? "dpmpp-2m-karras" : "dpmpp-2m", config.withDefaults(DEFAULTS),
                tables(config.withDefaults(DEFAULTS), steps, karras), karras);
    }

    private DpmSolverPlusPlus2MSampler(String name, SchedulerConfig c, double[][] tables, boolean karras) {
        super(name, c, tables[0], tables[1]);
        this.karras = karras;
    }

    /** Whether the σ table is the Karras et al. one. */
    public boolean karras() {
        return karras;
    }

    /** {timesteps, sigmas incl. the final 0}. */
    static double[][] tables(SchedulerConfig c, int steps, boolean karras) {
        NoiseSchedule schedule = EulerSampler.sigmaSchedule(c);
        int t = c.numTrainTimesteps();
        double[] ts = switch (c.timestepSpacing()) {
            case LINSPACE -> {
                double[] l = Timesteps.linspace(0, t - 1, steps + 1);
                double[] r = new double[steps];
                for (int i = 0; i < steps; i++) {
                    r[i] = Timesteps.round(l[steps - i]);
                }
                yield r;
            }
            case LEADING -> {
                int ratio = t / (steps + 1);
                double[] r = new double[steps];
                for (int i = 0; i < steps; i++) {
                    r[i] = (double) (steps - i) * ratio + c.stepsOffset();
                }
                yield r;
            }
            case TRAILING -> Timesteps.trailing(t, t, steps);
        };
        double[] train = schedule.sigmas();
        double[] sig;
        if (karras) {
            double[] logSigmas = new double[train.length];
            for (int i = 0; i < train.length; i++) {
                logSigmas[i] = Math.log(train[i]);
            }
            sig = Timesteps.karrasSigmas(train[0], train[train.length - 1], steps);
            ts = new double[steps];
            // diffusers' set_timesteps rounds the log-sigma timesteps except for squaredcos_cap_v2, then stores
            // them as int64 (torch .to(dtype=torch.int64), truncation toward zero): for squaredcos_cap_v2 the
            // network sees the truncated timestep. The σ table stays the Karras one either way.
            boolean round = c.betaSchedule() != BetaSchedule.SQUAREDCOS_CAP_V2;
            for (int i = 0; i < steps; i++) {
                double tt = Timesteps.sigmaToT(sig[i], logSigmas);
                ts[i] = round ? Timesteps.round(tt) : Math.floor(tt);
            }
        } else {
            sig = new double[ts.length];
            for (int i = 0; i < ts.length; i++) {
                sig[i] = Timesteps.interp(ts[i], train);
            }
        }
        for (int i = 1; i < sig.length; i++) {
            if (!(sig[i] < sig[i - 1])) {
                throw new IllegalArgumentException("steps: " + steps + " is too many for this spacing: noise level "
                        + i + " repeats the previous one (the multistep solver needs distinct levels)");
            }
        }
        double[] sigmas = new double[sig.length + 1];
        System.arraycopy(sig, 0, sigmas, 0, sig.length);
        sigmas[sig.length] = 0.0;
        return new double[][] {ts, sigmas};
    }

    /** α_σ = 1/√(σ²+1). */
    private static double alpha(double sigma) {
        return 1.0 / Math.sqrt(sigma * sigma + 1);
    }

    /** λ = log(α_σ) − log(σ·α_σ); +∞ at σ = 0. */
    private static double lambda(double sigma) {
        double a = alpha(sigma);
        return Math.log(a) - Math.log(sigma * a);
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        if (step != nextStep) {
            throw new IllegalStateException("step: " + name() + " is a multistep solver; expected step "
                    + nextStep + ", got " + step);
        }
        if (previousX0 != null && previousX0.length != x.length) {
            throw new IllegalArgumentException("x: batch size changed from " + previousX0.length + " to " + x.length);
        }
        double sigmaS0 = sigmas[step];
        double sigmaT = sigmas[step + 1];
        double alphaS0 = alpha(sigmaS0);
        double sigS0 = sigmaS0 * alphaS0;
        double alphaT = alpha(sigmaT);
        double sigT = sigmaT * alphaT;
        double lambdaT = lambda(sigmaT);
        double lambdaS0 = lambda(sigmaS0);
        double h = lambdaT - lambdaS0;
        double expm = Math.exp(-h) - 1.0;
        // lower_order_final: with final_sigmas_type "zero" the last step is always first order
        boolean firstOrder = step == 0 || step == timesteps.length - 1;
        double r0 = Double.NaN;
        if (!firstOrder) {
            double lambdaS1 = lambda(sigmas[step - 1]);
            r0 = (lambdaS0 - lambdaS1) / h;
        }
        double ratio = sigT / sigS0;
        double[][] current = new double[x.length][];
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            double[] m0 = new double[xb.length];
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double out = ob[j];
                double x0 = switch (config.predictionType()) {
                    case EPSILON -> (xv - sigS0 * out) / alphaS0;
                    case SAMPLE -> out;
                    case V_PREDICTION -> alphaS0 * xv - sigS0 * out;
                };
                m0[j] = x0;
            }
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double prev;
                if (firstOrder) {
                    prev = ratio * xv - alphaT * expm * m0[j];
                } else {
                    double d1 = (1.0 / r0) * (m0[j] - previousX0[b][j]);
                    prev = ratio * xv - alphaT * expm * m0[j] - 0.5 * alphaT * expm * d1;
                }
                xb[j] = (float) prev;
            }
            current[b] = m0;
        }
        previousX0 = current;
        nextStep++;
    }
}
