package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Requests and their status. Thread-safe. Status moves accepted → running → completed | failed,
 * and accepted | running → cancelling → cancelled; {@link #retry} takes failed → accepted.
 */
@Repository
public class RequestStore {

    /** The result of {@link #insert}: the stored row and whether this call created it. */
    public record Inserted(RequestRow row, boolean created) {
    }

    private static final String COLUMNS = "id, client_request_id, kind, model, spec::text AS spec, item_count, priority, "
            + "status, output_dir, source, accepted_at, started_at, finished_at, message";

    private final JdbcClient jdbc;

    /** The message of a run cancelled before it started. */
    public static final String CANCELLED_WAITING = "cancelled before it started";

    public RequestStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Stores a request unless one with the same client request id exists, in which case that
     * one is returned with {@code created = false} (idempotent intake).
     */
    public Inserted insert(NewRequest r) {
        // ON CONFLICT rather than catching the unique violation: the caller's transaction stays usable
        Optional<Long> id = jdbc.sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, priority, "
                        + "output_dir, source, labels) VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?::jsonb) "
                        + "ON CONFLICT (client_request_id) DO NOTHING RETURNING id")
                .params(r.clientRequestId(), r.kind(), r.model(), r.specJson(), r.itemCount(), r.priority(),
                        r.outputDir(), r.source(), r.labelsJson() == null ? "{}" : r.labelsJson())
                .query(Long.class).optional();
        return id.map(i -> new Inserted(find(i).orElseThrow(), true))
                .orElseGet(() -> new Inserted(findByClientId(r.clientRequestId()).orElseThrow(), false));
    }

    public Optional<RequestRow> find(long id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM requests WHERE id = ?").param(id).query(RequestStore::row).optional();
    }

    public Optional<RequestRow> findByClientId(String clientRequestId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM requests WHERE client_request_id = ?").param(clientRequestId)
                .query(RequestStore::row).optional();
    }

    /** The newest {@code limit} requests, newest first. */
    public List<RequestRow> latest(int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM requests ORDER BY id DESC LIMIT ?").param(limit)
                .query(RequestStore::row).list();
    }

    /**
     * Claims one interrupted run for {@code owner}: a run still running or cancelling whose lease
     * has expired or was released (its owner died or stopped), or that {@code owner} itself held
     * (a restart of the same instance), or that has no owner (written before leases existed).
     * One statement; of several instances, one gets each run ({@code SKIP LOCKED}).
     *
     * @return the run, now leased to {@code owner} for {@code lease}; empty when none is left
     */
    public Optional<RequestRow> claimInterrupted(String owner, Duration lease) {
        return claimInterrupted(owner, lease, List.of());
    }

    /**
     * As {@link #claimInterrupted(String, Duration)}, leaving alone the runs in {@code driving}: those
     * that {@code owner} is running now (a manager drives several at once).
     */
    public Optional<RequestRow> claimInterrupted(String owner, Duration lease, java.util.Collection<Long> driving) {
        return jdbc.sql("UPDATE requests SET owner = ?, lease_until = now() + make_interval(secs => ?) "
                        + "WHERE id = (SELECT id FROM requests WHERE status IN ('running', 'cancelling') "
                        + "AND (owner IS NULL OR owner = ? OR lease_until IS NULL OR lease_until < now()) "
                        + "AND NOT (id = ANY (?::bigint[])) "
                        + "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .params(owner, lease.toMillis() / 1000.0, owner, driving.toArray(new Long[0]))
                .query(RequestStore::row).optional();
    }

    /** The owners of live runs whose leases have not expired, e.g. {@code host:pid:random}. */
    public List<String> leaseHolders() {
        return jdbc.sql("SELECT DISTINCT owner FROM requests WHERE status IN ('running', 'cancelling') "
                + "AND owner IS NOT NULL AND lease_until >= now()").query(String.class).list();
    }

    /** The instance that owns (or last owned) the run; empty when none does or there is no such run. */
    public Optional<String> owner(long id) {
        return jdbc.sql("SELECT owner FROM requests WHERE id = ?").param(id).query(String.class).optional();
    }

    /** Extends the leases of the live runs {@code owner} holds (its heartbeat); returns how many. */
    public int renewLeases(String owner, Duration lease) {
        return jdbc.sql("UPDATE requests SET lease_until = now() + make_interval(secs => ?) "
                        + "WHERE owner = ? AND status IN ('running', 'cancelling')")
                .params(lease.toMillis() / 1000.0, owner).update();
    }

    /** Ends the leases of the live runs {@code owner} holds (it stops), so another instance resumes them at once. */
    public int releaseLeases(String owner) {
        return jdbc.sql("UPDATE requests SET lease_until = now() WHERE owner = ? AND status IN ('running', 'cancelling')")
                .param(owner).update();
    }


    /** Runs accepted and not started yet. */
    public long countWaiting() {
        return jdbc.sql("SELECT count(*) FROM requests WHERE status = 'accepted'").query(Long.class).single();
    }

    /** The waiting request to start next: highest priority, then oldest. */
    public Optional<RequestRow> nextWaiting() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM requests WHERE status = 'accepted' ORDER BY priority DESC, id LIMIT 1")
                .query(RequestStore::row).optional();
    }

    /**
     * Claims a waiting run for {@code owner} with a lease: accepted → running, in one statement, so that of two dispatchers that
     * saw it waiting exactly one gets it. False when it was not waiting any more (claimed by
     * another, or cancelled meanwhile).
     */
    public boolean markStarted(long id, String owner, Duration lease) {
        return jdbc.sql("UPDATE requests SET status = 'running', started_at = COALESCE(started_at, now()), owner = ?, "
                + "lease_until = now() + make_interval(secs => ?) WHERE id = ? AND status = 'accepted'")
                .params(owner, lease.toMillis() / 1000.0, id).update() == 1;
    }

    /**
     * Ends a run with {@code status} (completed, failed, cancelled) and an optional message, unless it
     * has ended already or another instance owns it now: of two callers that end the same run, one
     * does (one terminal event a run), and an instance that lost the run's lease (another replica took
     * it over) cannot end it under the new owner.
     *
     * @param owner the instance ending it (its lease); a run without an owner may be ended by anyone
     * @return whether this call ended it
     */
    public boolean markFinished(long id, RunStatus status, String message, String owner) {
        return jdbc.sql("UPDATE requests SET status = ?, finished_at = now(), message = ? "
                        + "WHERE id = ? AND status IN ('accepted', 'running', 'cancelling') "
                        + "AND (owner IS NULL OR owner = ?)")
                .params(status.sql(), message, id, owner).update() == 1;
    }

    /**
     * Puts a failed run back in the queue (failed → accepted, its end time and message cleared) so that the
     * dispatcher restarts it where it stopped: Spring Batch restarts the failed job execution, which makes only the
     * items still pending. For a run that failed for a cause that has gone away (the output volume was full or
     * read-only, a model file was missing).
     *
     * @return false when there is no such run or it has not failed
     */
    public boolean retry(long id) {
        return jdbc.sql("UPDATE requests SET status = 'accepted', finished_at = NULL, message = NULL "
                + "WHERE id = ? AND status = 'failed'").param(id).update() == 1;
    }

    /**
     * Asks a run to stop: a waiting one is cancelled at once, a running one moves to
     * {@code cancelling} and its partitions stop after their micro-batch in flight.
     *
     * @return the status after the call, or empty when there is no such run
     */
    public Optional<RunStatus> requestCancel(long id) {
        cancelWaiting(id);
        jdbc.sql("UPDATE requests SET status = 'cancelling' WHERE id = ? AND status = 'running'").param(id).update();
        return find(id).map(RequestRow::status);
    }

    /**
     * Cancels a run that has not started (accepted → cancelled, message {@value #CANCELLED_WAITING}).
     *
     * @return whether this call cancelled it
     */
    public boolean cancelWaiting(long id) {
        return jdbc.sql("UPDATE requests SET status = 'cancelled', finished_at = now(), message = ? "
                + "WHERE id = ? AND status = 'accepted'").params(CANCELLED_WAITING, id).update() == 1;
    }

    /** True when the run was asked to stop. */
    public boolean isCancelling(long id) {
        return jdbc.sql("SELECT status FROM requests WHERE id = ?").param(id).query(String.class).optional()
                .map(RunStatus::of).map(s -> s == RunStatus.CANCELLING || s == RunStatus.CANCELLED).orElse(true);
    }

    static RequestRow row(ResultSet rs, int n) throws SQLException {
        return new RequestRow(rs.getLong("id"), rs.getString("client_request_id"), rs.getString("kind"),
                rs.getString("model"), rs.getString("spec"), rs.getLong("item_count"), rs.getInt("priority"),
                RunStatus.of(rs.getString("status")), rs.getString("output_dir"), rs.getString("source"),
                instant(rs.getTimestamp("accepted_at")), instant(rs.getTimestamp("started_at")),
                instant(rs.getTimestamp("finished_at")), rs.getString("message"));
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
