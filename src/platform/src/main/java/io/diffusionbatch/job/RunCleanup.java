package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.DiffusionProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.nio.file.Path;

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
    private final Path root;

    public RunCleanup(RequestStore requests, ItemStore items, OutputStore store, DiffusionProperties props) {
        this.requests = requests;
        this.items = items;
        this.store = store;
        this.root = props.outputRoot();
    }

    /** @return the number of files removed */
    public int sweep(long requestId) {
        try {
            return requests.find(requestId)
                    .map(r -> OrphanFiles.sweep(root, Path.of(r.outputDir()), requestId, items, store)).orElse(0);
        } catch (RuntimeException e) {
            LOG.warn("run {}: its folder was not cleaned: {}", requestId, e.getMessage());
            return 0;
        }
    }
}
