package io.diffusionbatch.job;

import org.springframework.batch.core.step.StepExecution;

/**
 * What a partition's worker asks of the process it runs in, around its micro-batches. Local mode
 * has nothing to ask ({@link #NONE}); a cluster worker gives its partition back when it stops, and
 * notices when its partition was taken from it. Implementations are thread-safe.
 */
public interface PartitionGuard {

    /** Asks nothing. */
    PartitionGuard NONE = new PartitionGuard() {
    };

    /**
     * Before each micro-batch of the partition.
     *
     * @throws RuntimeException to end the partition now, without finishing it (the process stops and
     *                          gave it back)
     */
    default void beforeBatch(StepExecution step) {
    }

    /**
     * When no pending item of the partition's range was given to it: the range is done, the run
     * was cancelled, or the partition is no longer this process's.
     *
     * @throws RuntimeException in the last case: the partition must not end as completed
     */
    default void afterLastBatch(StepExecution step) {
    }
}
