package io.diffusionbatch.job;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.request.GenerationRequest;

import java.nio.file.Path;

/**
 * What every partition of a run needs, resolved once per run: the request, its model's engine,
 * the engine settings and the output folder. Immutable.
 */
public record RunContext(long requestId, GenerationRequest request, Engine engine, SamplingParams params,
                         Path outputDir, int fps) {
}
