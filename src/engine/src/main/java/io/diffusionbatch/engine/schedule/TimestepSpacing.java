package io.diffusionbatch.engine.schedule;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How inference timesteps are picked from the training range, spelled as the {@code timestep_spacing}
 * config key (see Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2).
 * The exact tables each solver derives from a spacing live in {@link Timesteps}.
 *
 * <p>Immutable and thread-safe.
 */
public enum TimestepSpacing {
    /** Multiples of {@code T / n} starting at 0, shifted by {@code steps_offset}. */
    LEADING("leading"),
    /** Counting down from {@code T - 1} in strides of {@code T / n}. */
    TRAILING("trailing"),
    /** Evenly spaced over {@code [0, T - 1]}, both ends included. */
    LINSPACE("linspace");

    private final String configValue;

    TimestepSpacing(String configValue) {
        this.configValue = configValue;
    }

    /** The value as scheduler_config.json spells it. */
    public String configValue() {
        return configValue;
    }

    /**
     * Parses the config spelling.
     *
     * @throws IllegalArgumentException naming {@code timestep_spacing} and the allowed values if unknown or null
     */
    public static TimestepSpacing fromConfig(String value) {
        for (TimestepSpacing s : values()) {
            if (s.configValue.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("timestep_spacing: unknown '" + value + "'; one of "
                + Arrays.stream(values()).map(TimestepSpacing::configValue).collect(Collectors.joining(", ")));
    }
}
