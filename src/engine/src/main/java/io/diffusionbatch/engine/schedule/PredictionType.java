package io.diffusionbatch.engine.schedule;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What the denoising network predicts, spelled as the {@code prediction_type} config key.
 *
 * <p>Immutable and thread-safe.
 */
public enum PredictionType {
    /** The added noise ε. */
    EPSILON("epsilon"),
    /** The velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans &amp; Ho 2022). */
    V_PREDICTION("v_prediction"),
    /** The clean sample x₀ itself. */
    SAMPLE("sample");

    private final String configValue;

    PredictionType(String configValue) {
        this.configValue = configValue;
    }

    /** The value as scheduler_config.json spells it. */
    public String configValue() {
        return configValue;
    }

    /**
     * Parses the config spelling.
     *
     * @throws IllegalArgumentException naming {@code prediction_type} and the allowed values if unknown or null
     */
    public static PredictionType fromConfig(String value) {
        for (PredictionType p : values()) {
            if (p.configValue.equals(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("prediction_type: unknown '" + value + "'; one of "
                + Arrays.stream(values()).map(PredictionType::configValue).collect(Collectors.joining(", ")));
    }
}
