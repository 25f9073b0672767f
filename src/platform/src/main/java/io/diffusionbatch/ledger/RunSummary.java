package io.diffusionbatch.ledger;

import java.time.Instant;

/**
 * One run as the dashboard's runs list and progress endpoint show it: the request row with its
 * item counts by status.
 *
 * @param clientRequestId the client's request id (user text: escape it); never null
 * @param sampler         from the items made, else the request, else {@code "default"}; never null
 * @param steps           from the items made, else the request; null when the model default applies
 * @param total           items of the run
 * @param done            items written
 * @param startedAt       null until started
 * @param finishedAt      null until finished
 * @param acceptedAt      when the request was accepted; never null
 * @param outputDir       the run's output folder as stored (relative to the output root, see {@link RequestRow})
 */
public record RunSummary(long id, String clientRequestId, RunStatus status, String model, String sampler, Integer steps,
                         long total, long done, long failed, long cancelled, Instant acceptedAt, Instant startedAt,
                         Instant finishedAt, String outputDir) {

    /** Whether the run reached completed, failed or cancelled. */
    public boolean finished() {
        return status.isFinished();
    }

    /** Items neither done, failed nor cancelled. */
    public long pending() {
        return Math.max(0, total - done - failed - cancelled);
    }
}
