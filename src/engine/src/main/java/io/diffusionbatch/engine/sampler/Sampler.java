package io.diffusionbatch.engine.sampler;

/**
 * One sampling run of a reverse-diffusion solver over a batch of samples that share settings.
 *
 * <p>The caller drives the loop the way the diffusers library's pipelines do:
 * <pre>
 *   x = initNoiseSigma() * N(0, I)                       // per sample, from the item's seed
 *   for i in 0 .. timesteps().length - 1:
 *       out = network(x * inputScale(i), timesteps()[i])
 *       step(i, x, out, noise)                           // x updated in place
 * </pre>
 * The network output is interpreted according to the configured prediction type
 * (epsilon, v_prediction or sample).
 *
 * <p>Implementations keep per-run state (multistep history), so an instance serves exactly one
 * run and is <b>not thread-safe</b>. Arguments are never null. Each sample of the batch is
 * updated independently of the others, so a sample's result does not depend on its batch
 * companions.
 */
public interface Sampler {

    /** The sampler's name as the CLI and requests spell it, e.g. {@code dpmpp-2m}. */
    String name();

    /** Model timesteps in call order, one network evaluation per entry (may be fractional). */
    double[] timesteps();

    /** The sigma table the solver walks, including the final sigma; empty for samplers without one. */
    default double[] sigmas() {
        return new double[0];
    }

    /** Standard deviation of the initial noise: {@code x_T = initNoiseSigma() * N(0, I)}. */
    double initNoiseSigma();

    /** Factor applied to {@code x} before the network sees it at step {@code step}. */
    double inputScale(int step);

    /**
     * Advances every sample of the batch by one step.
     *
     * @param step        index into {@link #timesteps()}
     * @param x           batch of current samples, {@code x[b]} flattened; updated in place
     * @param modelOutput the network's output for {@code x * inputScale(step)}, same shape as x
     * @param noise       fresh Gaussian noise for stochastic samplers; deterministic samplers ignore it
     */
    void step(int step, float[][] x, float[][] modelOutput, StepNoise noise);

    /**
     * Whether {@link #step} asks its {@link StepNoise} for values (on at least some steps). Deterministic
     * samplers never call it, so their result depends only on the initial noise.
     */
    default boolean isStochastic() {
        return false;
    }
}
