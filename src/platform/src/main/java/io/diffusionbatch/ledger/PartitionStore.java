package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Cluster mode's queue and leases of partitions (tables {@code partitions} and
 * {@code partition_attempts}, migration V9). A manager {@linkplain #queue queues} the partition step
 * executions it dispatches; a worker {@linkplain #claim claims} the queued one of the highest priority,
 * {@linkplain #renew renews} its lease while it runs and {@linkplain #finish finishes} it; a manager
 * {@linkplain #requeueLost puts back} a partition whose lease ran out. Each change that concerns Spring
 * Batch's step execution (claim: it must still be STARTING; re-queue: back to STARTING; fail) reads or
 * writes that row in the same transaction, and every write to it raises its VERSION, so a worker that
 * lost its partition cannot save the step over the next holder's (Spring Batch's optimistic lock).
 * Thread-safe; no argument may be null unless stated.
 */
@Repository
public class PartitionStore {

    /** The transaction-scoped advisory lock that serializes claims: "claims" in ASCII. */
    static final long CLAIM_LOCK = 0x636C61696D73L;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public PartitionStore(JdbcClient jdbc, PlatformTransactionManager tm) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(tm);
    }

    /**
     * A partition to queue.
     *
     * @param maxRunning partitions of the run running at once at most; null = no cap
     */
    public record Queued(long stepExecutionId, long requestId, long jobExecutionId, String name, int priority,
                         Integer maxRunning) {
    }

    /** A partition a worker holds now; {@code attempt} counts from 1. */
    public record Claim(long stepExecutionId, long jobExecutionId, long requestId, String name, int attempt) {
    }

    /** One attempt at a partition (an audit row). {@code endedAt} and {@code outcome} are null while it runs. */
    public record Attempt(long stepExecutionId, String name, int attempt, String worker, Instant startedAt,
                          Instant endedAt, String outcome) {
    }

    /**
     * What {@link #requeueLost} did to a partition of run {@code requestId} that {@code worker} lost
     * ({@code lost}: its losses so far).
     */
    public record LostPartition(Lost outcome, long requestId, String name, String worker, int lost) {
    }

    /** What {@link #requeueLost} did. */
    public enum Lost {
        /** the partition is queued again for another worker */
        REQUEUED,
        /** lost too often: its step execution is FAILED, which fails the run */
        FAILED,
        /** nothing: its lease was renewed meanwhile, or it had already ended */
        NONE
    }

    /** Queues partitions (a manager, before it sends their requests); those already queued are left alone. */
    public void queue(List<Queued> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        tx.executeWithoutResult(s -> {
            for (Queued q : partitions) {
                jdbc.sql("INSERT INTO partitions (step_execution_id, request_id, job_execution_id, name, priority, "
                                + "max_running) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (step_execution_id) DO NOTHING")
                        .params(q.stepExecutionId(), q.requestId(), q.jobExecutionId(), q.name(), q.priority(),
                                q.maxRunning())
                        .update();
            }
        });
    }

    /**
     * Claims the queued partition of the highest priority (then {@code preferred}, the one the request
     * in hand names; then the oldest) whose step execution is still STARTING and whose run is running
     * (or being cancelled: its partition then ends at once) and under its cap. One transaction, after
     * the previous claim's (an advisory lock serializes claims, so a cap is never exceeded); the
     * partition's row and its step execution's row are locked, so a partition is claimed once however
     * often its request is delivered, and a manager re-queueing or recovering it waits.
     *
     * @param preferred the step execution the request in hand names; null = none
     * @return the claim, or empty when nothing can be claimed now
     */
    public Optional<Claim> claim(String worker, Duration lease, Long preferred) {
        return tx.execute(s -> {
            // claims one at a time (a few milliseconds each): a run's cap counts the claims committed before
            // this one, which two concurrent claims of READ COMMITTED transactions would not see of each other
            jdbc.sql("SELECT pg_advisory_xact_lock(?)").param(CLAIM_LOCK).query(Object.class).optional();
            Optional<Claim> c = jdbc.sql("WITH pick AS (SELECT p.step_execution_id FROM partitions p "
                            + "JOIN requests r ON r.id = p.request_id "
                            + "JOIN batch_step_execution e ON e.step_execution_id = p.step_execution_id "
                            + "WHERE p.state = 'queued' AND e.status = 'STARTING' "
                            + "AND r.status IN ('running', 'cancelling') AND (p.max_running IS NULL OR "
                            + "(SELECT count(*) FROM partitions o WHERE o.request_id = p.request_id "
                            + "AND o.state = 'running') < p.max_running) "
                            + "ORDER BY p.priority DESC, (p.step_execution_id = ?) DESC, p.queued_at, p.step_execution_id "
                            + "LIMIT 1 FOR UPDATE OF p, e SKIP LOCKED) "
                            + "UPDATE partitions p SET state = 'running', worker = ?, "
                            + "lease_until = now() + make_interval(secs => ?), attempts = p.attempts + 1, "
                            + "started_at = coalesce(p.started_at, now()) FROM pick "
                            + "WHERE p.step_execution_id = pick.step_execution_id "
                            + "RETURNING p.step_execution_id, p.job_execution_id, p.request_id, p.name, p.attempts")
                    .params(preferred == null ? -1L : preferred, worker, seconds(lease))
                    .query((rs, n) -> new Claim(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4),
                            rs.getInt(5)))
                    .optional();
            c.ifPresent(claim -> jdbc.sql("INSERT INTO partition_attempts (step_execution_id, attempt, request_id, "
                            + "worker) VALUES (?, ?, ?, ?)")
                    .params(claim.stepExecutionId(), claim.attempt(), claim.requestId(), worker).update());
            return c;
        });
    }

    /** Renews the leases of every partition {@code worker} holds. @return how many */
    public int renew(String worker, Duration lease) {
        return jdbc.sql("UPDATE partitions SET lease_until = now() + make_interval(secs => ?) "
                        + "WHERE worker = ? AND state = 'running'")
                .params(seconds(lease), worker).update();
    }

    /** Whether {@code worker} holds the partition now (a lease that ran out still counts until a manager re-queues it). */
    public boolean holds(long stepExecutionId, String worker) {
        return jdbc.sql("SELECT count(*) FROM partitions WHERE step_execution_id = ? AND worker = ? AND state = 'running'")
                .params(stepExecutionId, worker).query(Long.class).single() > 0;
    }

    /**
     * Ends {@code worker}'s hold of a partition whose step ended ({@code outcome}: completed, failed
     * or stopped). Nothing when it no longer holds it.
     *
     * @return whether it held it
     */
    public boolean finish(long stepExecutionId, String worker, String outcome) {
        return Boolean.TRUE.equals(tx.execute(s -> {
            int n = jdbc.sql("UPDATE partitions SET state = 'done', lease_until = NULL, finished_at = now() "
                            + "WHERE step_execution_id = ? AND worker = ? AND state = 'running'")
                    .params(stepExecutionId, worker).update();
            endAttempt(stepExecutionId, worker, outcome);
            return n > 0;
        }));
    }

    /**
     * Gives a partition back to the queue (a worker that stops): its step execution goes back to
     * STARTING (VERSION raised) for another worker to claim.
     *
     * @return whether {@code worker} held it
     */
    public boolean release(long stepExecutionId, String worker) {
        return Boolean.TRUE.equals(tx.execute(s -> {
            int n = jdbc.sql("UPDATE partitions SET state = 'queued', worker = NULL, lease_until = NULL, "
                            + "queued_at = now() WHERE step_execution_id = ? AND worker = ? AND state = 'running'")
                    .params(stepExecutionId, worker).update();
            if (n == 0) {
                return false;
            }
            restart(stepExecutionId);
            endAttempt(stepExecutionId, worker, "released");
            return true;
        }));
    }

    /** The partitions whose lease ran out (their worker died, hung or lost the database), oldest lease first. */
    public List<Long> expired() {
        return jdbc.sql("SELECT step_execution_id FROM partitions WHERE state = 'running' AND lease_until < now() "
                        + "ORDER BY lease_until")
                .query(Long.class).list();
    }

    /**
     * Takes a partition whose lease ran out from its worker: re-queued (its step execution back to
     * STARTING) while it was lost fewer than {@code maxAttempts} times, else its step execution is
     * marked FAILED with the reason. A partition whose step already ended (the worker died after
     * saving it) is only marked done. One transaction, with the step execution's row locked.
     *
     * @param why the step's exit message when it fails
     */
    public LostPartition requeueLost(long stepExecutionId, int maxAttempts, String why) {
        return tx.execute(s -> {
            Optional<String> status = jdbc.sql("SELECT status FROM batch_step_execution WHERE step_execution_id = ? "
                    + "FOR UPDATE").param(stepExecutionId).query(String.class).optional();
            Optional<LostPartition> held = jdbc.sql("SELECT request_id, name, worker, lost FROM partitions "
                            + "WHERE step_execution_id = ? AND state = 'running' AND lease_until < now() FOR UPDATE")
                    .param(stepExecutionId)
                    .query((rs, n) -> new LostPartition(Lost.NONE, rs.getLong(1), rs.getString(2), rs.getString(3),
                            rs.getInt(4)))
                    .optional();
            if (held.isEmpty()) {
                return new LostPartition(Lost.NONE, 0, "", "", 0);
            }
            LostPartition h = held.get();
            endAttempt(stepExecutionId, h.worker(), "lost");
            boolean running = status.map(st -> st.equals("STARTING") || st.equals("STARTED")
                    || st.equals("STOPPING")).orElse(false);
            if (!running) { // the step ended; the worker died before it let go of the row
                jdbc.sql("UPDATE partitions SET state = 'done', lease_until = NULL, finished_at = now() "
                        + "WHERE step_execution_id = ?").param(stepExecutionId).update();
                return h;
            }
            int lost = jdbc.sql("UPDATE partitions SET state = 'queued', worker = NULL, lease_until = NULL, "
                            + "lost = lost + 1, queued_at = now() WHERE step_execution_id = ? RETURNING lost")
                    .param(stepExecutionId).query(Integer.class).single();
            if (lost >= maxAttempts) {
                jdbc.sql("UPDATE partitions SET state = 'done', finished_at = now() WHERE step_execution_id = ?")
                        .param(stepExecutionId).update();
                jdbc.sql("UPDATE batch_step_execution SET status = 'FAILED', exit_code = 'FAILED', exit_message = ?, "
                                + "end_time = localtimestamp, last_updated = localtimestamp, version = version + 1 "
                                + "WHERE step_execution_id = ?")
                        .params(why, stepExecutionId).update();
                return new LostPartition(Lost.FAILED, h.requestId(), h.name(), h.worker(), lost);
            }
            restart(stepExecutionId);
            return new LostPartition(Lost.REQUEUED, h.requestId(), h.name(), h.worker(), lost);
        });
    }

    /**
     * Takes the partitions of a job execution that a manager recovers (its manager died) from their
     * workers: each worker stops at its next micro-batch, and the restarted job dispatches them again.
     * Call in the transaction that marks the steps FAILED.
     *
     * @return how many were queued or running
     */
    public int abandon(long jobExecutionId) {
        jdbc.sql("UPDATE partition_attempts a SET ended_at = now(), outcome = 'abandoned' FROM partitions p "
                        + "WHERE p.step_execution_id = a.step_execution_id AND p.job_execution_id = ? "
                        + "AND p.state = 'running' AND a.ended_at IS NULL")
                .param(jobExecutionId).update();
        return jdbc.sql("UPDATE partitions SET state = 'abandoned', worker = NULL, lease_until = NULL, "
                        + "finished_at = now() WHERE job_execution_id = ? AND state IN ('queued', 'running')")
                .param(jobExecutionId).update();
    }

    /**
     * Stops the partitions of a job execution that no worker has claimed yet (its manager stops the
     * job): their step executions become STOPPED (VERSION raised), so the manager's wait for its
     * partitions ends when the running ones have stopped, not never; the restarted job runs them.
     * Partitions being claimed at the same moment are either claimed first or stopped, never both
     * (the step execution's row is locked by both).
     *
     * @return how many were stopped
     */
    public int stopQueued(long jobExecutionId) {
        return tx.execute(s -> {
            List<Long> ids = jdbc.sql("SELECT p.step_execution_id FROM partitions p JOIN batch_step_execution e "
                            + "ON e.step_execution_id = p.step_execution_id WHERE p.job_execution_id = ? "
                            + "AND p.state = 'queued' AND e.status = 'STARTING' FOR UPDATE OF p, e")
                    .param(jobExecutionId).query(Long.class).list();
            for (long id : ids) {
                jdbc.sql("UPDATE partitions SET state = 'abandoned', finished_at = now() WHERE step_execution_id = ?")
                        .param(id).update();
                jdbc.sql("UPDATE batch_step_execution SET status = 'STOPPED', exit_code = 'STOPPED', "
                                + "exit_message = 'stopped before a worker took it: its manager stopped', "
                                + "end_time = localtimestamp, last_updated = localtimestamp, version = version + 1 "
                                + "WHERE step_execution_id = ?")
                        .param(id).update();
            }
            return ids.size();
        });
    }

    /** How many partitions are in {@code state} ({@code queued}, {@code running}, ...) now. */
    public long count(String state) {
        return jdbc.sql("SELECT count(*) FROM partitions WHERE state = ?").param(state).query(Long.class).single();
    }

    /** Every attempt at the partitions of a run, in the order they started. */
    public List<Attempt> attempts(long requestId) {
        return jdbc.sql("SELECT a.step_execution_id, p.name, a.attempt, a.worker, a.started_at, a.ended_at, a.outcome "
                        + "FROM partition_attempts a JOIN partitions p ON p.step_execution_id = a.step_execution_id "
                        + "WHERE a.request_id = ? ORDER BY a.started_at, a.step_execution_id, a.attempt")
                .param(requestId)
                .query((rs, n) -> new Attempt(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                        RequestStore.instant(rs.getTimestamp(5)), RequestStore.instant(rs.getTimestamp(6)),
                        rs.getString(7)))
                .list();
    }

    /** The step execution back to STARTING with a raised VERSION: the last holder can no longer save it. */
    private void restart(long stepExecutionId) {
        jdbc.sql("UPDATE batch_step_execution SET status = 'STARTING', exit_code = 'EXECUTING', exit_message = '', "
                        + "end_time = NULL, last_updated = localtimestamp, version = version + 1 "
                        + "WHERE step_execution_id = ? AND status IN ('STARTING', 'STARTED', 'STOPPING')")
                .param(stepExecutionId).update();
    }

    private void endAttempt(long stepExecutionId, String worker, String outcome) {
        jdbc.sql("UPDATE partition_attempts SET ended_at = now(), outcome = ? WHERE step_execution_id = ? "
                        + "AND worker = ? AND ended_at IS NULL")
                .params(outcome, stepExecutionId, worker).update();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
