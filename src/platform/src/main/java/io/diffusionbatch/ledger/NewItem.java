package io.diffusionbatch.ledger;

/**
 * One work item to store. {@code negativePrompt} and {@code labelsJson} may be null; the prompt
 * may not.
 */
public record NewItem(long index, String prompt, String negativePrompt, long seed, String labelsJson) {
}
