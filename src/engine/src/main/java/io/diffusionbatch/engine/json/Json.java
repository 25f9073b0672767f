package io.diffusionbatch.engine.json;

import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The project's one configured Jackson mapper (Jackson 3), for model folders, provenance,
 * requests, events and the ledger's JSON columns alike. It reads strictly: a duplicate key or
 * anything after the document is an error, because either makes a document mean two things.
 * Immutable and thread-safe; the Spring context of the platform serves this same instance as its
 * {@code JsonMapper} bean.
 */
public final class Json {

    /** Strict reading (no duplicate keys, no trailing tokens), Jackson's defaults otherwise. */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {
    }
}
