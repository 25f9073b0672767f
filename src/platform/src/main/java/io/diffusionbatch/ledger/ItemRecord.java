package io.diffusionbatch.ledger;

import java.util.Map;

/**
 * Every row about one item: prompt, seed, status, output, statistics, and the run's request.
 *
 * @param negativePrompt null when none
 * @param output         the outputs row (path, sha256, media_type, bytes), empty when not written
 * @param stats          the item_stats row, empty when not written
 * @param requestSpec    the run's canonical request JSON (every parameter)
 * @param outputDir      the run's output folder as stored (relative to the output root, see {@link RequestRow})
 * @param quality        the item_quality row (readings, expected, adherent as JSON text / boolean), empty when
 *                       the item was not assessed
 */
public record ItemRecord(ItemRef ref, String clientRequestId, String model, String prompt, String negativePrompt,
                         long seed, ItemStatus status, int attempts, String worker, String error, String labelsJson,
                         Map<String, Object> output, Map<String, Object> stats, String requestSpec, String outputDir,
                         Map<String, Object> quality) {
}
