package io.diffusionbatch.engine.sampler;

/**
 * Source of the Gaussian noise a stochastic sampler injects at a step.
 *
 * <p>Implementations must be pure: the same (sample, step, length) always gives the same values,
 * so that an item's noise depends on its own seed and the step alone, never on its position in
 * the batch or on other items. Never returns null; safe to call from one thread per run.
 */
@FunctionalInterface
public interface StepNoise {

    /**
     * @param sample index of the sample within the batch passed to {@link Sampler#step}
     * @param step   the step index (0-based, as in {@link Sampler#step})
     * @param length number of values wanted (the flattened sample size)
     * @return {@code length} standard-normal values
     */
    float[] noise(int sample, int step, int length);
}
