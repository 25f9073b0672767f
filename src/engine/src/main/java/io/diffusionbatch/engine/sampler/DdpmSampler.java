package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.BetaSchedule;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import io.diffusionbatch.engine.schedule.Timesteps;

/**
 * Ancestral sampling of the denoising diffusion probabilistic model: Ho, Jain &amp; Abbeel 2020,
 * "Denoising Diffusion Probabilistic Models" (arXiv:2006.11239), with the posterior mean of eq. 7 and the
 * "fixed_small" variance β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t)·β_t, taken over the strided inference timesteps the way
 * diffusers' {@code DDPMScheduler} does (the previous timestep is the next entry of the table, −1 after the
 * last; noise is added whenever t &gt; 0).
 *
 * <p>One instance per run; not thread-safe. Arguments are never null.
 */
public final class DdpmSampler extends AbstractSampler {

    /** DDPMScheduler's defaults. */
    public static final SchedulerConfig.Defaults DEFAULTS =
            new SchedulerConfig.Defaults(0.0001, 0.02, BetaSchedule.LINEAR, TimestepSpacing.LEADING, true);

    private final NoiseSchedule schedule;

    DdpmSampler(SchedulerConfig config, int steps) {
        super("ddpm", config.withDefaults(DEFAULTS),
                discreteTimesteps(config.withDefaults(DEFAULTS), steps), new double[0]);
        this.schedule = NoiseSchedule.of(this.config);
    }

    /** The DDPM/DDIM timestep table for the configured spacing. */
    static double[] discreteTimesteps(SchedulerConfig c, int steps) {
        int t = c.numTrainTimesteps();
        double[] ts = switch (c.timestepSpacing()) {
            case LINSPACE -> Timesteps.linspaceRounded(t, steps);
            case LEADING -> Timesteps.leading(t, steps, c.stepsOffset());
            case TRAILING -> Timesteps.trailing(t, t, steps);
        };
        if (ts[0] >= t) {
            throw new IllegalArgumentException("steps: " + steps + " with leading spacing and steps_offset "
                    + c.stepsOffset() + " gives timestep " + (long) ts[0] + ", beyond num_train_timesteps - 1 ("
                    + (t - 1) + ")");
        }
        return ts;
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        int t = (int) timesteps[step];
        int prevT = step + 1 < timesteps.length ? (int) timesteps[step + 1] : -1;
        double alphaProd = schedule.alphaCumprod(t);
        double alphaProdPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : 1.0;
        double betaProd = 1 - alphaProd;
        double betaProdPrev = 1 - alphaProdPrev;
        double currentAlpha = alphaProd / alphaProdPrev;
        double currentBeta = 1 - currentAlpha;
        double x0Coeff = Math.sqrt(alphaProdPrev) * currentBeta / betaProd;
        double xCoeff = Math.sqrt(currentAlpha) * betaProdPrev / betaProd;
        double variance = Math.max(betaProdPrev / betaProd * currentBeta, 1e-20);
        double std = Math.sqrt(variance);
        boolean addNoise = t > 0;
        double range = config.clipSampleRange();
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            float[] z = addNoise ? noiseFor(noise, b, step, xb.length) : null;
            for (int j = 0; j < xb.length; j++) {
                double x0 = predictX0(config.predictionType(), alphaProd, xb[j], ob[j]);
                if (config.clipSample()) {
                    x0 = Math.max(-range, Math.min(range, x0));
                }
                double prev = x0Coeff * x0 + xCoeff * xb[j];
                if (addNoise) {
                    prev += std * z[j];
                }
                xb[j] = (float) prev;
            }
        }
    }

    @Override
    public boolean isStochastic() {
        return true;
    }
}
