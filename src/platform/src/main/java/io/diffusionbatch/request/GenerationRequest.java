package io.diffusionbatch.request;

import io.diffusionbatch.engine.SamplingParams;
import java.util.Map;
import java.util.Objects;

/**
 * A client's request: prompts × seeds with one model and one set of sampler settings. Immutable and thread-safe.
 * The constructor checks only nulls and simple invariants; the contract's rules are enforced by
 * {@link RequestParser}, which is how requests from outside should be made.
 *
 * @param requestId the client's idempotency key ({@code [A-Za-z0-9][A-Za-z0-9._:-]{0,127}}); never null
 * @param kind      {@link #IMAGE} or {@link #VIDEO}; never null
 * @param model     a model name of the catalog; never null
 * @param prompts   the prompts; never null
 * @param seeds     the seeds; never null
 * @param params    sampler settings, nulls = defaults; never null
 * @param output    where and how to write; never null
 * @param priority  -1000 … 1000, higher runs first; 0 by default
 * @param labels    the request's labels; never null, immutable, sorted by key
 * @param maxWorkers cluster mode: at most this many of the run's partitions run at once (1 … 1000), so a
 *                   large run leaves workers to others; null = no cap
 * @param dataset    the dataset night this request is (its export follows the run); null = an ordinary request
 */
public record GenerationRequest(String requestId, String kind, String model, PromptSource prompts, SeedSpec seeds,
                                RequestParams params, OutputSpec output, int priority, Map<String, String> labels,
                                Integer maxWorkers, DatasetTag dataset) {

    public static final String IMAGE = "image";
    public static final String VIDEO = "video";
    public static final int MIN_PRIORITY = -1000;
    public static final int MAX_PRIORITY = 1000;
    public static final int MAX_WORKERS = 1000;

    public GenerationRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(prompts, "prompts");
        Objects.requireNonNull(seeds, "seeds");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(output, "output");
        labels = Labels.copy(labels);
        if (maxWorkers != null && (maxWorkers < 1 || maxWorkers > MAX_WORKERS)) {
            throw new IllegalArgumentException("maxWorkers: must be 1 … " + MAX_WORKERS + ", was " + maxWorkers);
        }
    }

    /** A request without a cap on its workers. */
    public GenerationRequest(String requestId, String kind, String model, PromptSource prompts, SeedSpec seeds,
                             RequestParams params, OutputSpec output, int priority, Map<String, String> labels) {
        this(requestId, kind, model, prompts, seeds, params, output, priority, labels, null, null);
    }

    /** Number of work items, computed without building them (saturates at Long.MAX_VALUE). */
    public long itemCount() {
        return expansion().itemCount();
    }

    /** The request's work items, lazily, in index order. */
    public ItemExpansion expansion() {
        return new ItemExpansion(prompts, seeds, params.negativePrompt());
    }

    /** The engine's settings on that model (see {@link RequestParams#samplingParams}). */
    public SamplingParams samplingParams(CatalogModel model) {
        return params.samplingParams(model);
    }

    /**
     * The canonical JSON form: fixed key order, unset params left out, labels sorted, defaults written out
     * (seeds, priority). Parsing it again with {@link RequestParser} gives an equal record.
     */
    public String toJson() {
        return RequestJson.write(this);
    }
}
