package io.diffusionbatch.engine;

/**
 * One generated item: the decoded image or video (nominally in [-1, 1]; not clamped, so a network
 * may overshoot slightly) and the final latent, in arrays of their own.
 *
 * @param spec            what was asked
 * @param pixels          decoded output, channel-major: (C, H, W) for images, (F, C, H, W) for videos
 * @param pixelShape      the shape of {@code pixels} without the batch dimension
 * @param latent          the sampler's final sample (the latent; equals {@code pixels} for pixel models)
 * @param latentShape     its shape without the batch dimension
 * @param promptTruncated whether the prompt or negative prompt was cut to the tokenizer's limit
 * @param promptTokens    tokens the prompt produced before truncation (0 for unconditional models)
 * @param counters        what it cost
 */
public record GeneratedItem(GenerationSpec spec, float[] pixels, long[] pixelShape, float[] latent,
                            long[] latentShape, boolean promptTruncated, int promptTokens, ItemCounters counters) {

    public boolean isVideo() {
        return pixelShape.length == 4;
    }

    public int width() {
        return (int) pixelShape[pixelShape.length - 1];
    }

    public int height() {
        return (int) pixelShape[pixelShape.length - 2];
    }

    public GeneratedItem withCounters(ItemCounters c) {
        return new GeneratedItem(spec, pixels, pixelShape, latent, latentShape, promptTruncated, promptTokens, c);
    }
}
