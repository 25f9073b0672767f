package io.diffusionbatch.ledger;

/**
 * What intake stores for an accepted request. No field is null except {@code labelsJson} (= {}).
 *
 * @param outputDir the folder of its outputs relative to the output root, segments separated by {@code /}
 */
public record NewRequest(String clientRequestId, String kind, String model, String specJson, long itemCount,
                         int priority, String outputDir, String source, String labelsJson) {
}
