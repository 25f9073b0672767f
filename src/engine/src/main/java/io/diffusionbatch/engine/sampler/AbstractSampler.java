package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import java.util.Objects;

/**
 * Shared plumbing of the samplers: the timestep and sigma tables, argument checks and the conversion of
 * a network output to the predicted clean sample. Not thread-safe (see {@link Sampler}).
 */
abstract class AbstractSampler implements Sampler {

    private final String name;
    protected final SchedulerConfig config;
    protected final double[] timesteps;
    protected final double[] sigmas;

    AbstractSampler(String name, SchedulerConfig resolvedConfig, double[] timesteps, double[] sigmas) {
        this.name = name;
        this.config = resolvedConfig;
        this.timesteps = timesteps;
        this.sigmas = sigmas;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public final double[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public double inputScale(int step) {
        checkStep(step);
        return 1.0;
    }

    /** The fully resolved configuration (class defaults filled in). */
    public SchedulerConfig config() {
        return config;
    }

    protected final void checkStep(int step) {
        if (step < 0 || step >= timesteps.length) {
            throw new IndexOutOfBoundsException(
                    "step: must be in [0, " + timesteps.length + "), got " + step);
        }
    }

    protected final void checkArgs(int step, float[][] x, float[][] modelOutput, StepNoise noise) {
        checkStep(step);
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(modelOutput, "modelOutput");
        Objects.requireNonNull(noise, "noise");
        if (x.length != modelOutput.length) {
            throw new IllegalArgumentException("modelOutput: batch size " + modelOutput.length
                    + " differs from x's " + x.length);
        }
        for (int b = 0; b < x.length; b++) {
            if (x[b].length != modelOutput[b].length) {
                throw new IllegalArgumentException("modelOutput: sample " + b + " has " + modelOutput[b].length
                        + " values, x has " + x[b].length);
            }
        }
    }

    /** Gets the step's noise for one sample and checks its length. */
    protected static float[] noiseFor(StepNoise noise, int sample, int step, int length) {
        float[] z = noise.noise(sample, step, length);
        if (z == null || z.length != length) {
            throw new IllegalStateException("StepNoise returned " + (z == null ? "null" : z.length + " values")
                    + " for sample " + sample + " step " + step + ", expected " + length);
        }
        return z;
    }

    /**
     * Predicted clean sample x₀ for a discrete-time (DDPM-style) parameterisation where
     * {@code x = √ᾱ·x₀ + √(1−ᾱ)·ε}.
     */
    protected static double predictX0(PredictionType type, double alphaProd, double x, double out) {
        double betaProd = 1 - alphaProd;
        return switch (type) {
            case EPSILON -> (x - Math.sqrt(betaProd) * out) / Math.sqrt(alphaProd);
            case SAMPLE -> out;
            case V_PREDICTION -> Math.sqrt(alphaProd) * x - Math.sqrt(betaProd) * out;
        };
    }
}
