package io.diffusionbatch.request;

import java.time.LocalDate;
import java.util.Objects;

/**
 * A request's {@code dataset} field: the request is one night of a dataset spec (docs/DATASETS.md), and the job's
 * export step writes the dataset from it. The parser checks its form and that the spec's bytes have the stated
 * hash; the spec's own rules are checked at intake ({@code dataset.DatasetSpecParser}). Immutable and thread-safe.
 *
 * @param name       the spec's name; never null
 * @param night      the night; never null
 * @param specSha256 sha256 of {@code specJson} (UTF-8), lowercase hex; never null
 * @param specJson   the spec's canonical JSON, as embedded (a string: JSONB would reorder an object); never null
 */
public record DatasetTag(String name, LocalDate night, String specSha256, String specJson) {

    public DatasetTag {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(night, "night");
        Objects.requireNonNull(specSha256, "specSha256");
        Objects.requireNonNull(specJson, "specJson");
    }
}
