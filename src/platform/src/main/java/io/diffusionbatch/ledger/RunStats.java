package io.diffusionbatch.ledger;

/**
 * Run-level figures of one request. Stage seconds are sums over items (each item's share of its
 * micro-batch), so their total is the engine's busy time; {@code wallSeconds} is the generate
 * step's elapsed time. {@code energyJoules} and {@code energySource} are null when unknown.
 */
public record RunStats(long requestId, long itemsDone, long itemsFailed, long itemsCancelled, double wallSeconds,
                       double itemsPerSecond, long totalNfe, double totalFlops, double tokenizeSeconds,
                       double textEncodeSeconds, double denoiseSeconds, double decodeSeconds, double writeSeconds,
                       double expandSeconds, Double energyJoules, String energySource) {
}
