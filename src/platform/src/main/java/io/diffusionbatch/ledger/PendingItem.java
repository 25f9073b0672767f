package io.diffusionbatch.ledger;

/**
 * An item a worker still has to make. {@code negativePrompt} is null when the item has none.
 */
public record PendingItem(long requestId, long index, String prompt, String negativePrompt, long seed) {
}
