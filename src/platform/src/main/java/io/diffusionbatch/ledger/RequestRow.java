package io.diffusionbatch.ledger;

import java.time.Instant;

/**
 * A request as the ledger keeps it.
 *
 * @param id              the run's id (what {@code show RUN} takes)
 * @param clientRequestId the client's idempotency key
 * @param spec            the request's canonical JSON
 * @param outputDir       the folder of its outputs relative to the output root (an older version's row: absolute);
 *                        {@link io.diffusionbatch.output.OutputRoot} finds it on this instance
 * @param startedAt       null until a job starts it
 * @param finishedAt      null until it ends
 * @param message         why it failed or was cancelled, or null
 */
public record RequestRow(long id, String clientRequestId, String kind, String model, String spec, long itemCount,
                         int priority, RunStatus status, String outputDir, String source, Instant acceptedAt,
                         Instant startedAt, Instant finishedAt, String message) {

    public boolean isFinished() {
        return status.isFinished();
    }
}
