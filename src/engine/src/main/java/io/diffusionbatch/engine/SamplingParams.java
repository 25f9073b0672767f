package io.diffusionbatch.engine;

import io.diffusionbatch.engine.ParamViolation.Param;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings shared by the items of one micro-batch: everything but prompt and seed.
 *
 * @param sampler          sampler name, one of {@link Samplers#names()}
 * @param steps            sampler steps, 1..1000
 * @param guidance         classifier-free guidance scale; at or below 1 there is no unconditional pass
 * @param guidanceRescale  guidance rescale φ in [0, 1] (Lin et al. 2023), 0 = off
 * @param eta              DDIM η in [0, 1]; ignored by other samplers
 * @param width            output width in pixels
 * @param height           output height in pixels
 * @param frames           frames of a video model; 0 for image models
 * @param timestepSpacing  overrides the model's scheduler config, or null
 * @param predictionType   overrides the model's scheduler config, or null
 */
public record SamplingParams(String sampler, int steps, double guidance, double guidanceRescale, double eta,
                             int width, int height, int frames, String timestepSpacing, String predictionType) {

    public static final int MAX_STEPS = 1000;

    /** The engine's defaults: DPM-Solver++ 2M, 20 steps, guidance 7.5, size from the model. */
    public static SamplingParams defaults(int width, int height) {
        return new SamplingParams("dpmpp-2m", 20, 7.5, 0.0, 0.0, width, height, 0, null, null);
    }

    public boolean usesGuidance() {
        return guidance > 1.0;
    }

    public SamplingParams withSampler(String s) {
        return new SamplingParams(s, steps, guidance, guidanceRescale, eta, width, height, frames, timestepSpacing, predictionType);
    }

    public SamplingParams withSteps(int n) {
        return new SamplingParams(sampler, n, guidance, guidanceRescale, eta, width, height, frames, timestepSpacing, predictionType);
    }

    public SamplingParams withGuidance(double g) {
        return new SamplingParams(sampler, steps, g, guidanceRescale, eta, width, height, frames, timestepSpacing, predictionType);
    }

    public SamplingParams withSize(int w, int h) {
        return new SamplingParams(sampler, steps, guidance, guidanceRescale, eta, w, h, frames, timestepSpacing, predictionType);
    }

    public SamplingParams withFrames(int f) {
        return new SamplingParams(sampler, steps, guidance, guidanceRescale, eta, width, height, f, timestepSpacing, predictionType);
    }

    /**
     * Checks every field against its rule, independently of any model.
     *
     * @return one violation per broken rule; empty when valid
     */
    public List<ParamViolation> violations() {
        List<ParamViolation> v = new ArrayList<>();
        if (sampler == null || !Samplers.names().contains(sampler)) {
            v.add(new ParamViolation(Param.SAMPLER, ParamViolation.UNKNOWN, "unknown '" + sampler + "'; one of "
                    + String.join(", ", Samplers.names())));
        }
        if (steps < 1 || steps > MAX_STEPS) {
            v.add(range(Param.STEPS, "must be between 1 and " + MAX_STEPS + ", was " + steps));
        }
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            v.add(range(Param.GUIDANCE, "must be a finite number >= 0, was " + guidance));
        }
        if (!(guidanceRescale >= 0 && guidanceRescale <= 1)) {
            v.add(range(Param.GUIDANCE_RESCALE, "must be between 0 and 1, was " + guidanceRescale));
        }
        if (!(eta >= 0 && eta <= 1)) {
            v.add(range(Param.ETA, "must be between 0 and 1, was " + eta));
        }
        if (width < 1 || width > 8192) {
            v.add(range(Param.WIDTH, "must be between 1 and 8192, was " + width));
        }
        if (height < 1 || height > 8192) {
            v.add(range(Param.HEIGHT, "must be between 1 and 8192, was " + height));
        }
        if (frames < 0 || frames > 1024) {
            v.add(range(Param.FRAMES, "must be between 0 and 1024, was " + frames));
        }
        if (timestepSpacing != null) {
            try {
                TimestepSpacing.fromConfig(timestepSpacing);
            } catch (IllegalArgumentException e) {
                v.add(new ParamViolation(Param.TIMESTEP_SPACING, ParamViolation.UNKNOWN, "unknown '" + timestepSpacing
                        + "'; one of leading, trailing, linspace"));
            }
        }
        if (predictionType != null) {
            try {
                PredictionType.fromConfig(predictionType);
            } catch (IllegalArgumentException e) {
                v.add(new ParamViolation(Param.PREDICTION_TYPE, ParamViolation.UNKNOWN, "unknown '" + predictionType
                        + "'; one of epsilon, v_prediction, sample"));
            }
        }
        return v;
    }

    private static ParamViolation range(Param p, String message) {
        return new ParamViolation(p, ParamViolation.RANGE, message);
    }
}
