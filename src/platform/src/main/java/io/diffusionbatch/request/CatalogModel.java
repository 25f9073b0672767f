package io.diffusionbatch.request;

import io.diffusionbatch.engine.ModelGeometry;
import io.diffusionbatch.engine.SamplingParams;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One model of the catalog, as far as requests need it. Immutable and thread-safe.
 *
 * @param name          the name requests use, e.g. {@code shapes-ldm}; never null
 * @param kind          {@code image} or {@code video}
 * @param folder        the model's folder (Stable-Diffusion ONNX layout); never null
 * @param defaultWidth  width used when a request leaves it unset, >= 1
 * @param defaultHeight height used when a request leaves it unset, >= 1
 * @param defaultFrames frames used when a video request leaves it unset; 0 for image models
 * @param defaults      the model's own settings for what a request leaves unset (sampler, steps,
 *                      guidance, ...: a consistency model runs 4 lcm steps without guidance); null =
 *                      {@link SamplingParams#defaults} at the default size
 * @param geometry      what the model's networks can make (size factor, fixed sizes, channels), read from its graphs
 *                      when the catalog opened it; the parser checks requests against it and estimates their memory.
 *                      Null: nothing is known of the networks, and only the checks that need no model apply
 */
public record CatalogModel(String name, String kind, Path folder, int defaultWidth, int defaultHeight,
                           int defaultFrames, SamplingParams defaults, ModelGeometry geometry) {

    /** A model with {@link SamplingParams#defaults} as its settings and no geometry. */
    public CatalogModel(String name, String kind, Path folder, int defaultWidth, int defaultHeight, int defaultFrames) {
        this(name, kind, folder, defaultWidth, defaultHeight, defaultFrames, null, null);
    }

    /** A model with these settings and no geometry. */
    public CatalogModel(String name, String kind, Path folder, int defaultWidth, int defaultHeight, int defaultFrames,
                        SamplingParams defaults) {
        this(name, kind, folder, defaultWidth, defaultHeight, defaultFrames, defaults, null);
    }

    public CatalogModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(folder, "folder");
        if (!GenerationRequest.IMAGE.equals(kind) && !GenerationRequest.VIDEO.equals(kind)) {
            throw new IllegalArgumentException("kind: must be image or video, was " + kind);
        }
        if (defaultWidth < 1 || defaultHeight < 1 || defaultFrames < 0) {
            throw new IllegalArgumentException("default size: width and height must be >= 1 and frames >= 0, were "
                    + defaultWidth + "x" + defaultHeight + "x" + defaultFrames);
        }
        if (defaults == null) {
            defaults = SamplingParams.defaults(defaultWidth, defaultHeight);
        }
    }

    public boolean isVideo() {
        return GenerationRequest.VIDEO.equals(kind);
    }
}
