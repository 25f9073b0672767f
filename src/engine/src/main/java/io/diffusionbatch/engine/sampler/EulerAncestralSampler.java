package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;

/**
 * Euler ancestral sampling: an Euler step of the probability-flow ODE (Karras et al. 2022, "Elucidating the
 * Design Space of Diffusion-Based Generative Models", arXiv:2206.00364) down to σ_down, followed by fresh noise
 * of standard deviation σ_up, with σ_up = √(σ_{i+1}²(σ_i² − σ_{i+1}²)/σ_i²) and σ_down = √(σ_{i+1}² − σ_up²),
 * exactly as k-diffusion's {@code sample_euler_ancestral} (η = 1) and diffusers'
 * {@code EulerAncestralDiscreteScheduler}. Timestep and σ tables are those of {@link EulerSampler}.
 * The "sample" prediction type is rejected, as in diffusers.
 *
 * <p>One instance per run; not thread-safe. Arguments are never null.
 */
public final class EulerAncestralSampler extends EulerSampler {

    EulerAncestralSampler(SchedulerConfig config, int steps) {
        super("euler-a", config, steps);
        if (config.predictionType() == PredictionType.SAMPLE) {
            throw new IllegalArgumentException(
                    "prediction_type: 'sample' is not supported by euler-a; one of epsilon, v_prediction");
        }
    }

    @Override
    public void step(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkArgs(step, x, modelOutput, noise);
        double sigmaFrom = sigmas[step];
        double sigmaTo = sigmas[step + 1];
        double sigmaUp = Math.sqrt(sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)
                / (sigmaFrom * sigmaFrom));
        double sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
        double dt = sigmaDown - sigmaFrom;
        boolean addNoise = sigmaUp > 0;
        PredictionType type = config.predictionType();
        for (int b = 0; b < x.length; b++) {
            float[] xb = x[b];
            float[] ob = modelOutput[b];
            float[] z = addNoise ? noiseFor(noise, b, step, xb.length) : null;
            for (int j = 0; j < xb.length; j++) {
                double xv = xb[j];
                double x0 = predictX0Sigma(type, sigmaFrom, xv, ob[j]);
                double prev = xv + (xv - x0) / sigmaFrom * dt;
                if (addNoise) {
                    prev += z[j] * sigmaUp;
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
