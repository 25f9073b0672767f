package io.diffusionbatch.request;

import io.diffusionbatch.engine.SamplingParams;
import java.util.Objects;

/**
 * The sampler settings of a request. Every field is nullable: null means "the default" – the engine's
 * ({@link CatalogModel#defaults}) for sampler, steps, guidance, rescale and eta, the model's
 * ({@link CatalogModel}) for width, height and frames. Immutable and thread-safe.
 *
 * @param sampler         one of {@code io.diffusionbatch.engine.sampler.Samplers.names()}
 * @param steps           1 … 1000
 * @param guidance        classifier-free guidance scale, 0 … 100 (at or below 1: no unconditional pass)
 * @param guidanceRescale 0 … 1
 * @param eta             DDIM η, 0 … 1
 * @param width           1 … 8192
 * @param height          1 … 8192
 * @param frames          1 … 1024, video models only
 * @param fps             1 … 120, video models only (playback rate of mp4/gif output; the media writer's default
 *                        when null)
 * @param negativePrompt  the negative prompt of every prompt that has none of its own
 * @param timestepSpacing leading, trailing or linspace: overrides the model's scheduler config
 * @param predictionType  epsilon, v_prediction or sample: overrides the model's scheduler config
 */
public record RequestParams(String sampler, Integer steps, Double guidance, Double guidanceRescale, Double eta,
                            Integer width, Integer height, Integer frames, Integer fps, String negativePrompt,
                            String timestepSpacing, String predictionType) {

    /** Largest guidance scale a request may ask for. */
    public static final double MAX_GUIDANCE = 100.0;
    /** Largest width or height. */
    public static final int MAX_SIZE = 8192;
    /** Largest frame count. */
    public static final int MAX_FRAMES = 1024;
    /** Largest frame rate. */
    public static final int MAX_FPS = 120;

    /** All defaults. */
    public static final RequestParams DEFAULTS =
            new RequestParams(null, null, null, null, null, null, null, null, null, null, null, null);

    /**
     * The engine's settings for this request on that model: unset fields take the engine's defaults
     * ({@link CatalogModel#defaults}: the model's own) and the model's size; frames are the request's (else the model's) for a video
     * model and 0 for an image model.
     */
    public SamplingParams samplingParams(CatalogModel model) {
        Objects.requireNonNull(model, "model");
        SamplingParams d = model.defaults();
        return new SamplingParams(
                sampler != null ? sampler : d.sampler(),
                steps != null ? steps : d.steps(),
                guidance != null ? guidance : d.guidance(),
                guidanceRescale != null ? guidanceRescale : d.guidanceRescale(),
                eta != null ? eta : d.eta(),
                width != null ? width : d.width(),
                height != null ? height : d.height(),
                model.isVideo() ? (frames != null ? frames : model.defaultFrames()) : 0,
                timestepSpacing != null ? timestepSpacing : d.timestepSpacing(),
                predictionType != null ? predictionType : d.predictionType());
    }
}
