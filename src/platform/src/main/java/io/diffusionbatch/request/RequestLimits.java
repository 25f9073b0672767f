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
 */
public record RequestLimits(long maxItems, int maxPromptChars, int maxPayloadBytes, long maxTemplateProduct) {

    /** Most labels on the request or on one prompt. */
    public static final int MAX_LABELS = 64;
    /** Most characters in a label key (keys match {@code [A-Za-z0-9_.:/-]{1,64}}). */
    public static final int MAX_LABEL_KEY_CHARS = 64;
    /** Most characters in a label value. */
    public static final int MAX_LABEL_VALUE_CHARS = 256;

    /** 10,000,000 items, 2,000-character prompts, 8 MiB payloads, 1,000,000-prompt templates. */
    public static final RequestLimits DEFAULTS = new RequestLimits(10_000_000L, 2_000, 8 << 20, 1_000_000L);

    public RequestLimits {
        if (maxItems < 1 || maxPromptChars < 1 || maxPayloadBytes < 1 || maxTemplateProduct < 1) {
            throw new IllegalArgumentException("limits: every limit must be >= 1, were maxItems=" + maxItems
                    + ", maxPromptChars=" + maxPromptChars + ", maxPayloadBytes=" + maxPayloadBytes
                    + ", maxTemplateProduct=" + maxTemplateProduct);
        }
    }

    public RequestLimits withMaxItems(long n) {
        return new RequestLimits(n, maxPromptChars, maxPayloadBytes, maxTemplateProduct);
    }

    public RequestLimits withMaxPayloadBytes(int n) {
        return new RequestLimits(maxItems, maxPromptChars, n, maxTemplateProduct);
    }
}
