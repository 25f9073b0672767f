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

    private final ServerInstance instance;

    public RunCleanup(RequestStore requests, ItemStore items, OutputStore store, OutputRoot root,
                      ServerInstance instance) {
        this.instance = instance;
        this.requests = requests;
        this.items = items;
        this.store = store;
        this.root = root;
    }

    /**
     * Removes the files of the run's items that have no output row, unless another instance owns the
     * run now (this one lost its lease: the new owner's files in flight must stay).
     *
     * @return the number of files removed
     */
    public int sweep(long requestId) {
        try {
            if (requests.owner(requestId).filter(o -> !o.equals(instance.id())).isPresent()) {
                LOG.warn("run {} belongs to another instance now; its folder is left to it", requestId);
                return 0;
            }
            return requests.find(requestId)
                    .map(r -> OrphanFiles.sweep(root, root.relative(requestId, r.outputDir()), requestId, items, store))
                    .orElse(0);
        } catch (RuntimeException e) {
            LOG.warn("run {}: its folder was not cleaned: {}", requestId, e.getMessage());
            return 0;
        }
    }
}
