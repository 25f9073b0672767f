package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.BetaSchedule;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;

/**
 * Multistep consistency sampling of Latent Consistency Models: Luo, Tan, Huang, Li &amp; Zhao 2023,
 * "Latent Consistency Models: Synthesizing High-Resolution Images with Few-Step Inference"
 * (arXiv:2310.04378), algorithm 3. Follows diffusers' {@code LCMScheduler}: the timesteps are drawn from the
 * {@code original_inference_steps}-point skipping schedule {@code k·i − 1} (k = T // original_inference_steps),
 * the consistency function uses the boundary-condition scalings c_skip = σ_d²/((s·t)² + σ_d²) and
 * c_out = s·t/√((s·t)² + σ_d²) with σ_d = 0.5 and s = {@code timestep_scaling}, and every step but the last
 * re-noises the denoised sample to the next timestep. {@code timestep_spacing} and {@code steps_offset} are
 * not used by this sampler.
 *
 * <p>One instance per run; not thread-safe. Arguments are never null.
 */
public final class LcmSampler extends AbstractSampler {

    /** LCMScheduler's defaults. */
    public static final SchedulerConfig.Defaults DEFAULTS = new SchedulerConfig.Defaults(
            0.00085, 0.012, BetaSchedule.SCALED_LINEAR, TimestepSpacing.LEADING, false);

    private static final double SIGMA_DATA = 0.5;

    private final NoiseSchedule schedule;
    private final double finalAlphaCumprod;

    LcmSampler(SchedulerConfig config, int steps) {
        super("lcm", config.withDefaults(DEFAULTS), lcmTimesteps(config, steps), new double[0]);
        this.schedule = NoiseSchedule.of(this.config);
        this.finalAlphaCumprod = this.config.setAlphaToOne() ? 1.0 : schedule.alphaCumprod(0);
    }

    static double[] lcmTimesteps(SchedulerConfig c, int steps) {
        int original = c.originalInferenceSteps();
        if (steps > original) {
            throw new IllegalArgumentException("steps: lcm needs steps <= original_inference_steps ("
                    + original + "), got " + steps);
        }
        int k = c.numTrainTimesteps() / original;
        double[] ts = new double[steps];
        double stride = (double) original / steps;
        for (int i = 0; i < steps; i++) {
            int index = (int) Math.floor(i * stride);
            // origin timesteps reversed: entry `index` is (original - index) * k - 1
            ts[i] = (double) (original - index) * k - 1;
        }
        return ts;
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        int t = (int) timesteps[step];
        boolean last = step == timesteps.length - 1;
        int prevT = last ? t : (int) timesteps[step + 1];
        double alphaProd = schedule.alphaCumprod(t);
        double alphaProdPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        double scaled = t * config.timestepScaling();
        double cSkip = SIGMA_DATA * SIGMA_DATA / (scaled * scaled + SIGMA_DATA * SIGMA_DATA);
        double cOut = scaled / Math.sqrt(scaled * scaled + SIGMA_DATA * SIGMA_DATA);
        double range = config.clipSampleRange();
        PredictionType type = config.predictionType();
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            float[] z = last ? null : noiseFor(noise, b, step, xb.length);
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double x0 = predictX0(type, alphaProd, xv, ob[j]);
                if (config.clipSample()) {
                    x0 = Math.max(-range, Math.min(range, x0));
                }
                double denoised = cOut * x0 + cSkip * xv;
                double prev = last ? denoised
                        : Math.sqrt(alphaProdPrev) * denoised + Math.sqrt(1 - alphaProdPrev) * z[j];
                xb[j] = (float) prev;
            }
        }
    }

    @Override
    public boolean isStochastic() {
        return true;
    }
}
