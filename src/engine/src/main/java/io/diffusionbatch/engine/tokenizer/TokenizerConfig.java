package io.diffusionbatch.engine.tokenizer;

import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reading helpers for the JSON files of a tokenizer folder ({@code tokenizer_config.json},
 * {@code special_tokens_map.json}). Package-private; stateless and thread-safe.
 */
final class TokenizerConfig {

    static final String CONFIG_FILE = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";

    /** Largest sequence length accepted, to keep a corrupt config from allocating huge arrays. */
    static final int MAX_SEQUENCE_LENGTH = 65_536;

    /** transformers writes {@code int(1e30)} as "no limit"; anything this large means "unset". */
    private static final BigInteger UNSET_SENTINEL = BigInteger.TEN.pow(29);

    static final JsonMapper JSON = Json.MAPPER;

    private TokenizerConfig() {
    }

    /** Reads a JSON object file, or returns null if the file does not exist. */
    static JsonNode readOptionalObject(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        return readObject(file);
    }

    /** Reads a JSON file that must hold an object. */
    static JsonNode readObject(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + file, e);
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("tokenizer file " + file + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("tokenizer file " + file + " must hold a JSON object");
        }
        return node;
    }

    /**
     * A special-token field: either a string or an object with a string {@code content}
     * (transformers' serialized AddedToken). Returns null when absent or JSON null.
     */
    static String specialToken(JsonNode config, String field, Path file) {
        if (config == null) {
            return null;
        }
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isString()) {
            return node.stringValue();
        }
        if (node.isObject()) {
            JsonNode content = node.get("content");
            if (content != null && content.isString()) {
                return content.stringValue();
            }
        }
        throw new IllegalArgumentException(file + ": field '" + field
                + "' must be a string or an object with a string 'content', got: " + node);
    }

    /**
     * The {@code model_max_length} field, or {@code fallback} when absent, null, or transformers'
     * "unlimited" sentinel (1e30). Either way the result must lie in [min, MAX_SEQUENCE_LENGTH].
     */
    static int maxLength(JsonNode config, Path file, int fallback, int min) {
        JsonNode node = config == null ? null : config.get("model_max_length");
        boolean unset = node == null || node.isNull();
        if (!unset) {
            if (!node.isNumber()) {
                throw new IllegalArgumentException(file + ": field 'model_max_length' must be an integer, got: "
                        + node);
            }
            BigInteger value;
            if (node.isIntegralNumber()) {
                value = node.bigIntegerValue();
            } else {
                double d = node.doubleValue();
                if (d >= 1e29) {
                    value = UNSET_SENTINEL;
                } else if (d != Math.rint(d)) {
                    throw new IllegalArgumentException(file + ": field 'model_max_length' must be an integer, got: "
                            + node);
                } else {
                    value = BigInteger.valueOf((long) d);
                }
            }
            if (value.compareTo(UNSET_SENTINEL) >= 0) {
                unset = true;
            } else if (value.compareTo(BigInteger.valueOf(min)) < 0
                    || value.compareTo(BigInteger.valueOf(MAX_SEQUENCE_LENGTH)) > 0) {
                throw new IllegalArgumentException(file + ": field 'model_max_length' must be between " + min
                        + " and " + MAX_SEQUENCE_LENGTH + ", got: " + node);
            } else {
                return value.intValueExact();
            }
        }
        if (fallback < min || fallback > MAX_SEQUENCE_LENGTH) {
            throw new IllegalArgumentException("fallbackMaxLength must be between " + min + " and "
                    + MAX_SEQUENCE_LENGTH + " (used because " + file.getFileName()
                    + " sets no model_max_length), got: " + fallback);
        }
        return fallback;
    }

    /** A string field, or null when absent/null; a non-string value is an error naming the field. */
    static String stringField(JsonNode config, String field, Path file) {
        if (config == null) {
            return null;
        }
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw new IllegalArgumentException(file + ": field '" + field + "' must be a string, got: " + node);
        }
        return node.stringValue();
    }
}
