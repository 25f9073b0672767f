package io.diffusionbatch.ledger;

/**
 * What intake stores for an accepted request. No field is null except {@code labelsJson} (= {}).
 */
public record NewRequest(String clientRequestId, String kind, String model, String specJson, long itemCount,
                         int priority, String outputDir, String source, String labelsJson) {
}
