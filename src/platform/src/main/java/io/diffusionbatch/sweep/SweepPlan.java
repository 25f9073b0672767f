package io.diffusionbatch.sweep;

import io.diffusionbatch.engine.json.Json;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The requests of a sweep: one per (sampler, steps) point, every one over the same prompts with
 * the same seeds (prompt {@code i} gets seed {@code seedBase + i}), so that the points differ only in
 * the sampler and its steps. Immutable and thread-safe.
 *
 * @param sweepId   prefix of the request ids ({@code SWEEP-SAMPLER-STEPS}); not blank
 * @param model     catalog model name
 * @param samplers  sampler names, at least one
 * @param steps     step counts, at least one, each >= 1
 * @param guidance  classifier-free guidance scale of every point; null = the request's default
 * @param prompts   the prompt set, at least one
 * @param seedBase  seed of the first prompt, >= 0
 */
public record SweepPlan(String sweepId, String model, List<String> samplers, List<Integer> steps, Double guidance,
                        List<String> prompts, long seedBase) {

    private static final JsonMapper JSON = Json.MAPPER;

    public SweepPlan {
        Objects.requireNonNull(model, "model");
        if (sweepId == null || sweepId.isBlank()) {
            throw new IllegalArgumentException("sweep id: must not be blank");
        }
        if (samplers.isEmpty() || steps.isEmpty() || prompts.isEmpty()) {
            throw new IllegalArgumentException("sweep: needs at least one sampler, one step count and one prompt");
        }
        if (steps.stream().anyMatch(s -> s < 1)) {
            throw new IllegalArgumentException("steps: every step count must be >= 1, were " + steps);
        }
        if (seedBase < 0) {
            throw new IllegalArgumentException("seed: must be >= 0, was " + seedBase);
        }
        samplers = List.copyOf(samplers);
        steps = List.copyOf(steps);
        prompts = List.copyOf(prompts);
    }

    /** One point's request. */
    public record PointRequest(String sampler, int steps, String requestId, byte[] json) {
    }

    /** The requests, sampler-major, in the order given. */
    public List<PointRequest> requests() {
        List<PointRequest> out = new ArrayList<>();
        for (String sampler : samplers) {
            for (int s : steps) {
                String id = sweepId + "-" + sampler + "-" + s;
                ObjectNode r = JSON.createObjectNode();
                r.put("requestId", id);
                r.put("kind", "image");
                r.put("model", model);
                ArrayNode ps = r.putArray("prompts");
                for (int i = 0; i < prompts.size(); i++) {
                    ps.addObject().put("prompt", prompts.get(i)).put("seed", seedBase + i);
                }
                ObjectNode params = r.putObject("params");
                params.put("sampler", sampler);
                params.put("steps", s);
                if (guidance != null) {
                    params.put("guidance", guidance);
                }
                r.putObject("output").put("location", "sweeps/" + sweepId + "/" + sampler + "-" + s).put("format", "png");
                ObjectNode labels = r.putObject("labels");
                labels.put("sweep", sweepId);
                r.put("priority", 0);
                out.add(new PointRequest(sampler, s, id, JSON.writeValueAsString(r).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }
}
