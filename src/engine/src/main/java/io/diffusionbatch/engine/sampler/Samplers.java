package io.diffusionbatch.engine.sampler;

import io.diffusionbatch.engine.schedule.SchedulerConfig;
import java.util.List;
import java.util.Objects;

/**
 * Creates samplers by the names the CLI and requests use:
 * {@code ddpm, ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, lcm}.
 *
 * <p>Stateless and thread-safe; every call to {@link #create} returns a fresh single-run {@link Sampler}.
 * Null arguments are rejected with {@link NullPointerException}.
 */
public final class Samplers {

    private static final List<String> NAMES =
            List.of("ddpm", "ddim", "euler", "euler-a", "dpmpp-2m", "dpmpp-2m-karras", "lcm");

    private Samplers() {
    }

    /** The accepted sampler names, in a stable order. */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * Creates a sampler for one run.
     *
     * @param name   one of {@link #names()}
     * @param config the scheduler config; keys it leaves unset take the defaults of the matching diffusers class
     * @param steps  number of network evaluations, 1 … {@code num_train_timesteps}
     *               (lcm: also at most {@code original_inference_steps})
     * @param eta    DDIM's η in [0, 1]; ignored by the other samplers
     * @throws IllegalArgumentException naming {@code sampler}, {@code steps}, {@code eta} or the config key at fault
     */
    public static Sampler create(String name, SchedulerConfig config, int steps, double eta) {
        Objects.requireNonNull(config, "config");
        String key = checkName(name);
        int max = config.numTrainTimesteps();
        if (steps < 1 || steps > max) {
            throw new IllegalArgumentException("steps: must be between 1 and num_train_timesteps (" + max
                    + "), got " + steps);
        }
        return switch (key) {
            case "ddpm" -> new DdpmSampler(config, steps);
            case "ddim" -> new DdimSampler(config, steps, eta);
            case "euler" -> new EulerSampler(config, steps);
            case "euler-a" -> new EulerAncestralSampler(config, steps);
            case "dpmpp-2m" -> new DpmSolverPlusPlus2MSampler(config, steps, false);
            case "dpmpp-2m-karras" -> new DpmSolverPlusPlus2MSampler(config, steps, true);
            case "lcm" -> new LcmSampler(config, steps);
            default -> throw new AssertionError(key);
        };
    }

    /**
     * Whether the named sampler injects fresh noise through {@link StepNoise}: ddpm, euler-a and lcm always,
     * ddim when η &gt; 0.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static boolean isStochastic(String name, double eta) {
        return switch (checkName(name)) {
            case "ddpm", "euler-a", "lcm" -> true;
            case "ddim" -> eta > 0;
            default -> false;
        };
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "sampler");
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("sampler: unknown '" + name + "'; one of " + String.join(", ", NAMES));
        }
        return name;
    }
}
