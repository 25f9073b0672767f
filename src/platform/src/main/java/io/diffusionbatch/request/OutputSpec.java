package io.diffusionbatch.request;

import io.diffusionbatch.media.OutputFormat;
import java.util.Objects;

/**
 * Where and how a request's items are written. Immutable and thread-safe.
 *
 * @param location a relative folder under the configured output root, segments separated by {@code /}
 *                 (checked by {@link OutputLocation#checkSyntax}; resolved with {@link OutputLocation#resolve});
 *                 never null
 * @param format   the file format; never null
 */
public record OutputSpec(String location, OutputFormat format) {

    public OutputSpec {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(format, "format");
    }
}
