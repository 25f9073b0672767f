package io.diffusionbatch.ledger;

import io.diffusionbatch.engine.ItemCounters;

/**
 * A finished item: its output file and what it cost. No field is null unless stated.
 *
 * @param path          output file relative to the request's output folder
 * @param modelSha256   the model's identity hash
 * @param batchPosition the item's position in its micro-batch
 * @param partition     the partition (step execution name) that made it
 * @param worker        the process that made it, e.g. {@code host:pid}
 * @param energyJoules  the item's share of its micro-batch's energy, or null when not measured
 * @param energySource  {@code measured:rapl}, {@code estimated:NNW}, or null
 * @param hardware      the model of the processor that ran the networks (the GPU as NVML names it, the CPU as
 *                      the operating system does), or null when unknown
 */
public record ItemResult(long requestId, long index, String path, String sha256, String mediaType, long bytes,
                         String modelSha256, String sampler, double guidance, int batchPosition, String partition,
                         String worker, ItemCounters counters, Double energyJoules, String energySource,
                         String hardware) {
}
