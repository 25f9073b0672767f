package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.BetaSchedule;
import io.diffusionbatch.engine.schedule.NoiseSchedule;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;

/**
 * Denoising diffusion implicit models: Song, Meng &amp; Ermon 2021, "Denoising Diffusion Implicit Models"
 * (ICLR 2021, arXiv:2010.02502), eq. 12, with σ_t = η·√((1−ᾱ_{t−1})/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_{t−1})); η = 0 is the
 * deterministic DDIM, η = 1 recovers DDPM's variance. Follows diffusers' {@code DDIMScheduler}: the previous
 * timestep is {@code t − T // n}, below 0 it uses {@code final_alpha_cumprod} (1 with {@code set_alpha_to_one},
 * else ᾱ_0), x₀ may be clipped to {@code ±clip_sample_range}, and ε is the unclipped prediction.
 *
 * <p>One instance per run; not thread-safe. Arguments are never null.
 */
public final class DdimSampler extends AbstractSampler {

    /** DDIMScheduler's defaults. */
    public static final SchedulerConfig.Defaults DEFAULTS =
            new SchedulerConfig.Defaults(0.0001, 0.02, BetaSchedule.LINEAR, TimestepSpacing.LEADING, true);

    private final NoiseSchedule schedule;
    private final double eta;
    private final int stride;
    private final double finalAlphaCumprod;

    DdimSampler(SchedulerConfig config, int steps, double eta) {
        super("ddim", config.withDefaults(DEFAULTS),
                DdpmSampler.discreteTimesteps(config.withDefaults(DEFAULTS), steps), new double[0]);
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("eta: must be in [0, 1], got " + eta);
        }
        this.schedule = NoiseSchedule.of(this.config);
        this.eta = eta;
        this.stride = this.config.numTrainTimesteps() / steps;
        this.finalAlphaCumprod = this.config.setAlphaToOne() ? 1.0 : schedule.alphaCumprod(0);
    }

    /** The η of this run. */
    public double eta() {
        return eta;
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        int t = (int) timesteps[step];
        int prevT = t - stride;
        double alphaProd = schedule.alphaCumprod(t);
        double alphaProdPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        double betaProd = 1 - alphaProd;
        double betaProdPrev = 1 - alphaProdPrev;
        double variance = (betaProdPrev / betaProd) * (1 - alphaProd / alphaProdPrev);
        double std = eta * Math.sqrt(variance);
        double dirCoeff = Math.sqrt(1 - alphaProdPrev - std * std);
        double x0Coeff = Math.sqrt(alphaProdPrev);
        boolean addNoise = eta > 0 && std > 0;
        PredictionType type = config.predictionType();
        double range = config.clipSampleRange();
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            float[] z = addNoise ? noiseFor(noise, b, step, xb.length) : null;
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double out = ob[j];
                double x0 = predictX0(type, alphaProd, xv, out);
                double eps = switch (type) {
                    case EPSILON -> out;
                    case SAMPLE -> (xv - Math.sqrt(alphaProd) * x0) / Math.sqrt(betaProd);
                    case V_PREDICTION -> Math.sqrt(alphaProd) * out + Math.sqrt(betaProd) * xv;
                };
                if (config.clipSample()) {
                    x0 = Math.max(-range, Math.min(range, x0));
                }
                double prev = x0Coeff * x0 + dirCoeff * eps;
                if (addNoise) {
                    prev += std * z[j];
                }
                xb[j] = (float) prev;
            }
        }
    }

    @Override
    public boolean isStochastic() {
        return eta > 0;
    }
}
