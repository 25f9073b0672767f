package io.diffusionbatch.job;

import java.util.Map;

/**
 * Where a run reports its lifecycle (started, progress, completed, failed, cancelled). The
 * implementation records each event in the ledger and publishes it on the events topic.
 * Implementations are thread-safe and never throw: a lost event must not fail a run.
 */
public interface RunEvents {

    /**
     * @param requestId the run
     * @param type      the event type
     * @param detail    small JSON-serialisable values; never null
     */
    void publish(long requestId, EventType type, Map<String, Object> detail);
}
