package io.diffusionbatch.engine;

import java.util.Objects;

/**
 * One setting the engine refuses, as a value: which setting, the rule it breaks and a sentence
 * for people. The CLI prints it as {@code --OPTION: message}; the request parser files it under
 * the request's field ({@code params.FIELD}) directly, without parsing text. Immutable and
 * thread-safe.
 *
 * @param param   the setting; never null
 * @param rule    a short stable id: {@value #RANGE}, {@value #UNKNOWN}, {@value #MODEL_SIZE},
 *                {@value #MODEL_KIND}, {@value #TENSOR_SIZE} or {@value #SAMPLER_CONFIG}; never null
 * @param message what is wrong and the offending value, without the setting's name; never null
 */
public record ParamViolation(Param param, String rule, String message) {

    /** A number outside its allowed range. */
    public static final String RANGE = "range";
    /** A name that is not one of the known ones (sampler, spacing, prediction type). */
    public static final String UNKNOWN = "unknown";
    /** A width or height this model cannot make (its VAE's scale factor, or a size fixed in its graph). */
    public static final String MODEL_SIZE = "model-size";
    /** A setting that does not fit the kind of model (frames of an image model, guidance of an unconditional one). */
    public static final String MODEL_KIND = "model-kind";
    /** A micro-batch whose tensors would be too large. */
    public static final String TENSOR_SIZE = "tensor-size";
    /** A combination the sampler refuses with the model's scheduler configuration. */
    public static final String SAMPLER_CONFIG = "sampler-config";

    public ParamViolation {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    /** {@code option: message}, e.g. {@code steps: must be between 1 and 1000, was 0}. */
    @Override
    public String toString() {
        return param.optionName() + ": " + message;
    }

    /** The settings of {@link SamplingParams}, with their names on the command line and in a request. */
    public enum Param {
        SAMPLER("sampler", "sampler"),
        STEPS("steps", "steps"),
        GUIDANCE("guidance", "guidance"),
        GUIDANCE_RESCALE("guidance-rescale", "guidanceRescale"),
        ETA("eta", "eta"),
        WIDTH("width", "width"),
        HEIGHT("height", "height"),
        FRAMES("frames", "frames"),
        TIMESTEP_SPACING("timestep-spacing", "timestepSpacing"),
        PREDICTION_TYPE("prediction-type", "predictionType"),
        /** width, height, frames and the micro-batch together (the size of one tensor) */
        SIZE("width/height/frames", null);

        private final String optionName;
        private final String fieldName;

        Param(String optionName, String fieldName) {
            this.optionName = optionName;
            this.fieldName = fieldName;
        }

        /** The command-line option without its dashes, e.g. {@code guidance-rescale}. */
        public String optionName() {
            return optionName;
        }

        /**
         * The name of the {@link SamplingParams} component (and of the request's {@code params}
         * field), e.g. {@code guidanceRescale}; null for {@link #SIZE}, which is several.
         */
        public String fieldName() {
            return fieldName;
        }

        /** The setting whose option name starts a message such as {@code steps: ...}, or {@link #SAMPLER}. */
        static Param ofMessagePrefix(String message) {
            int colon = message.indexOf(':');
            String key = colon < 0 ? "" : message.substring(0, colon);
            for (Param p : values()) {
                if (p.optionName.equals(key)) {
                    return p;
                }
            }
            return SAMPLER;
        }
    }
}
