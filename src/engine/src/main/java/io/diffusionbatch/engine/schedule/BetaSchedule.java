package io.diffusionbatch.engine.schedule;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the training betas are laid out over the {@code num_train_timesteps} training steps, spelled as
 * the {@code beta_schedule} key of a diffusers {@code scheduler_config.json}.
 *
 * <p>Immutable and thread-safe.
 */
public enum BetaSchedule {
    /** {@code betas = linspace(beta_start, beta_end, T)} (Ho et al. 2020). */
    LINEAR("linear"),
    /** {@code betas = linspace(√beta_start, √beta_end, T)²}, the Stable Diffusion schedule. */
    SCALED_LINEAR("scaled_linear"),
    /** Cosine ᾱ(t) of Nichol &amp; Dhariwal 2021, betas capped at 0.999. */
    SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

    private final String configValue;

    BetaSchedule(String configValue) {
        this.configValue = configValue;
    }

    /** The value as scheduler_config.json spells it. */
    public String configValue() {
        return configValue;
    }

    /**
     * Parses the config spelling.
     *
     * @throws IllegalArgumentException naming {@code beta_schedule} and the allowed values if unknown or null
     */
    public static BetaSchedule fromConfig(String value) {
        for (BetaSchedule s : values()) {
            if (s.configValue.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("beta_schedule: unknown '" + value + "'; one of " + allowed());
    }

    static String allowed() {
        return Arrays.stream(values()).map(BetaSchedule::configValue).collect(Collectors.joining(", "));
    }
}
