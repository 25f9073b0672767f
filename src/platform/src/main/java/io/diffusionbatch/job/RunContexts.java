package io.diffusionbatch.job;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.InvalidRequestException;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resolves and caches the {@link RunContext} of each run from its ledger row (the stored
 * canonical request is parsed and checked again against the catalog as it is now). Thread-safe.
 */
@Component
public class RunContexts {

    /** Default playback rate of video outputs when the request gives none. */
    public static final int DEFAULT_FPS = 8;

    private final RequestStore requests;
    private final ItemStore items;
    private final ModelRegistry models;
    private final RequestLimits limits;
    private final OutputRoot root;
    private final Map<Long, RunContext> cache = new ConcurrentHashMap<>();

    public RunContexts(RequestStore requests, ItemStore items, ModelRegistry models, RequestLimits limits,
                       OutputRoot root) {
        this.requests = requests;
        this.items = items;
        this.models = models;
        this.limits = limits;
        this.root = root;
    }

    /**
     * @throws IllegalStateException when the run does not exist or its request is no longer valid
     *                               (e.g. its model was removed from the catalog)
     * @throws io.diffusionbatch.output.OutputRefusedException when its folder (an older version's absolute one) is
     *                               outside this instance's output root
     */
    public RunContext get(long requestId) {
        return cache.computeIfAbsent(requestId, this::resolve);
    }

    /** Forgets a finished run. */
    public void evict(long requestId) {
        cache.remove(requestId);
    }

    private RunContext resolve(long requestId) {
        RequestRow row = requests.find(requestId)
                .orElseThrow(() -> new IllegalStateException("run " + requestId + " does not exist"));
        GenerationRequest r;
        try {
            r = RequestParser.parse(row.spec().getBytes(StandardCharsets.UTF_8), limits, models);
        } catch (InvalidRequestException e) {
            throw new IllegalStateException("run " + requestId + ": its request is no longer valid: " + e.getMessage(), e);
        }
        CatalogModel model = models.find(r.model()).orElseThrow();
        Engine engine = models.engine(r.model());
        Integer fps = r.params().fps();
        long finished = items.countByStatus(requestId).entrySet().stream()
                .filter(e -> e.getKey() != ItemStatus.PENDING).mapToLong(Map.Entry::getValue).sum();
        return new RunContext(requestId, r, engine, r.samplingParams(model), root.folder(requestId, row.outputDir()),
                fps == null ? DEFAULT_FPS : fps, new AtomicLong(finished));
    }
}
