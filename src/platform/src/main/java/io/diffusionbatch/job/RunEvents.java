package io.diffusionbatch.job;

import java.util.Map;

/**
 * Where a run reports its lifecycle (accepted, started, progress, completed, failed, cancelled,
 * resumed). The implementation writes each event to the ledger in the caller's transaction, so that
 * an event exists exactly when the change it reports committed, and publishes it on the events
 * topic after commit (a transactional outbox): reporting never waits for Kafka, and a published
 * event carries an {@code eventId} that readers deduplicate on (delivery is at least once).
 * Implementations are thread-safe.
 */
public interface RunEvents {

    /**
     * Writes one event in the current transaction (or on its own when there is none).
     *
     * @param requestId the run
     * @param type      the event type
     * @param detail    small JSON-serialisable values; never null
     * @throws RuntimeException when the ledger cannot take it: the caller's change must roll back too
     */
    void publish(long requestId, EventType type, Map<String, Object> detail);
}
