package io.diffusionbatch.job;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.request.GenerationRequest;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every partition of a run needs, resolved once per run: the request, its model's engine,
 * the engine settings, the output folder on this instance (absolute), and the count of finished
 * items (read once from the ledger, then counted up by the partitions, so progress never rescans a
 * million rows). Thread-safe.
 */
public record RunContext(long requestId, GenerationRequest request, Engine engine, SamplingParams params,
                         Path outputDir, int fps, AtomicLong finished) {
}
