package io.diffusionbatch.request;

import java.util.Objects;

/**
 * One broken rule of a request. Immutable and thread-safe.
 *
 * @param field   where, as a JSON path such as {@code params.steps}, {@code prompts[3].prompt} or, for a key that is
 *                not a plain name, {@code labels["a b"]} (JSON-escaped);
 *                {@code $} for the document as a whole; never null
 * @param rule    a short stable id such as {@code range}, {@code required}, {@code unknown-model}, {@code utf8},
 *                {@code json}, {@code too-many-items}, {@code too-long}, {@code escapes-output-root}
 *                (the full list is in {@link Rules}); never null
 * @param message a sentence for people, naming the field, the rule and the offending value; never null
 */
public record Violation(String field, String rule, String message) {

    public Violation {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field + ": " + message + " [" + rule + "]";
    }

    /** The rule ids a {@link Violation} can carry. */
    public static final class Rules {
        public static final String JSON = "json";
        public static final String UTF8 = "utf8";
        public static final String UNPAIRED_SURROGATE = "unpaired-surrogate";
        public static final String NUL = "nul";
        public static final String DUPLICATE_KEY = "duplicate-key";
        public static final String TOO_LARGE = "too-large";
        public static final String TYPE = "type";
        public static final String REQUIRED = "required";
        public static final String UNKNOWN_FIELD = "unknown-field";
        public static final String PATTERN = "pattern";
        public static final String ENUM = "enum";
        public static final String RANGE = "range";
        public static final String TOO_LONG = "too-long";
        public static final String MIN_ITEMS = "min-items";
        public static final String MAX_ITEMS = "max-items";
        public static final String DUPLICATE_SEED = "duplicate-seed";
        public static final String UNKNOWN_MODEL = "unknown-model";
        public static final String KIND_MISMATCH = "kind-mismatch";
        public static final String UNKNOWN_SAMPLER = "unknown-sampler";
        public static final String VIDEO_ONLY = "video-only";
        public static final String FORMAT_KIND = "format-kind";
        public static final String PROMPT_SOURCE = "prompt-source";
        public static final String MISSING_SLOT = "missing-slot";
        public static final String UNUSED_SLOT = "unused-slot";
        public static final String TOO_MANY_PROMPTS = "too-many-prompts";
        public static final String TOO_MANY_ITEMS = "too-many-items";
        public static final String INVALID_PATH = "invalid-path";
        public static final String ESCAPES_OUTPUT_ROOT = "escapes-output-root";
        public static final String ESCAPES_INPUT_ROOT = "escapes-input-root";
        public static final String NO_INPUT_ROOT = "no-input-root";
        public static final String UNREADABLE = "unreadable";
        public static final String ENGINE = "engine";
        /** A hash that does not match what it covers ({@code dataset.specSha256}). */
        public static final String CHECKSUM = "checksum";
        /** Intake: a request with a {@code dataset} field that is not its spec's night as {@code dataset run} makes it. */
        public static final String DATASET_MISMATCH = "dataset-mismatch";
        /** Labels {@code dataset} and {@code dataset.*} on a request without a {@code dataset} field. */
        public static final String RESERVED_LABEL = "reserved-label";
        /** A width, height or frame count the model cannot make (its VAE's factor, or a size fixed in its graph). */
        public static final String MODEL_SIZE = io.diffusionbatch.engine.ParamViolation.MODEL_SIZE;
        /** A setting that does not fit the kind of model (guidance of an unconditional one, frames of an image one). */
        public static final String MODEL_KIND = io.diffusionbatch.engine.ParamViolation.MODEL_KIND;
        /** A micro-batch whose largest tensor would not fit in one array. */
        public static final String TENSOR_SIZE = io.diffusionbatch.engine.ParamViolation.TENSOR_SIZE;
        /** A micro-batch that would need more memory than {@code diffusion.limits.max-batch-memory} allows. */
        public static final String BATCH_MEMORY = "batch-memory";
        /**
         * Not raised by the parser (it reads bytes): for intake when a Kafka record's value is null (a tombstone),
         * which is not the same input as an empty value (rule {@link #JSON}).
         */
        public static final String NULL_VALUE = "null-value";
        /** Not raised by the parser (it keeps no state): for the ledger/intake when a requestId was seen before. */
        public static final String DUPLICATE_REQUEST_ID = "duplicate-request-id";

        private Rules() {
        }
    }
}
