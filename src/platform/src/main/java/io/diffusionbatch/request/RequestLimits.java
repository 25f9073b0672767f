package io.diffusionbatch.request;

/**
 * Size limits a request must keep. {@link #DEFAULTS} are the limits the published JSON Schema states.
 * Immutable and thread-safe.
 *
 * @param maxItems           most work items (prompts × seeds) one request may expand to
 * @param maxPromptChars     most characters (Unicode code points) in one prompt, negative prompt, template or expanded
 *                           template prompt
 * @param maxPayloadBytes    most bytes of the JSON document (and of a prompt file read by the parser)
 * @param maxTemplateProduct most prompts one template may expand to (the product of its slot sizes)
 * @param microBatch         items the engine runs together ({@code diffusion.job.batch-size}): the batch whose tensors
 *                           the model checks size ({@link io.diffusionbatch.engine.ModelGeometry})
 * @param maxBatchBytes      most bytes one micro-batch may need by the engine's estimate
 *                           ({@link io.diffusionbatch.engine.ModelGeometry#batchBytes});
 *                           {@link #NO_MEMORY_LIMIT} for none
 */
public record RequestLimits(long maxItems, int maxPromptChars, int maxPayloadBytes, long maxTemplateProduct,
                            int microBatch, long maxBatchBytes) {

    /** {@link #maxBatchBytes} of no limit. */
    public static final long NO_MEMORY_LIMIT = Long.MAX_VALUE;
    /** The setting that gives {@link #maxBatchBytes}, named in messages. */
    public static final String MEMORY_SETTING = "diffusion.limits.max-batch-memory";

    /** Most labels on the request or on one prompt. */
    public static final int MAX_LABELS = 64;
    /** Most characters in a label key (keys match {@code [A-Za-z0-9_.:/-]{1,64}}). */
    public static final int MAX_LABEL_KEY_CHARS = 64;
    /** Most characters in a label value. */
    public static final int MAX_LABEL_VALUE_CHARS = 256;

    /**
     * 10,000,000 items, 2,000-character prompts, 8 MiB payloads, 1,000,000-prompt templates; micro-batches of 8 (the
     * shipped {@code diffusion.job.batch-size}) and no memory limit (the platform sets one: {@link #withBatchMemory}).
     */
    public static final RequestLimits DEFAULTS = new RequestLimits(10_000_000L, 2_000, 8 << 20, 1_000_000L, 8,
            NO_MEMORY_LIMIT);

    public RequestLimits {
        if (maxItems < 1 || maxPromptChars < 1 || maxPayloadBytes < 1 || maxTemplateProduct < 1 || microBatch < 1
                || maxBatchBytes < 1) {
            throw new IllegalArgumentException("limits: every limit must be >= 1, were maxItems=" + maxItems
                    + ", maxPromptChars=" + maxPromptChars + ", maxPayloadBytes=" + maxPayloadBytes
                    + ", maxTemplateProduct=" + maxTemplateProduct + ", microBatch=" + microBatch
                    + ", maxBatchBytes=" + maxBatchBytes);
        }
    }

    public RequestLimits withMaxItems(long n) {
        return new RequestLimits(n, maxPromptChars, maxPayloadBytes, maxTemplateProduct, microBatch, maxBatchBytes);
    }

    public RequestLimits withMaxPayloadBytes(int n) {
        return new RequestLimits(maxItems, maxPromptChars, n, maxTemplateProduct, microBatch, maxBatchBytes);
    }

    /** These limits with micro-batches of {@code microBatch} items that may need at most {@code maxBatchBytes}. */
    public RequestLimits withBatchMemory(int microBatch, long maxBatchBytes) {
        return new RequestLimits(maxItems, maxPromptChars, maxPayloadBytes, maxTemplateProduct, microBatch,
                maxBatchBytes);
    }
}
