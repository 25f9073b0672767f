package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Removes what a run leaves in its folder besides its outputs when it ends, completed or failed
 * ({@link OrphanFiles}). Never throws: a folder that cannot be cleaned is logged, the run's end is
 * recorded all the same. Thread-safe.
 */
@Component
public class RunCleanup {

    private static final Logger LOG = LoggerFactory.getLogger(RunCleanup.class);

    private final RequestStore requests;
    private final ItemStore items;
    private final OutputStore store;
    private final OutputRoot root;

    public RunCleanup(RequestStore requests, ItemStore items, OutputStore store, OutputRoot root) {
        this.requests = requests;
        this.items = items;
        this.store = store;
        this.root = root;
    }

    /** @return the number of files removed */
    public int sweep(long requestId) {
        try {
            return requests.find(requestId)
                    .map(r -> OrphanFiles.sweep(root, root.relative(requestId, r.outputDir()), requestId, items, store))
                    .orElse(0);
        } catch (RuntimeException e) {
            LOG.warn("run {}: its folder was not cleaned: {}", requestId, e.getMessage());
            return 0;
        }
    }
}
