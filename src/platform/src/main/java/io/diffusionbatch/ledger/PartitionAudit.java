package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Read-only questions about how cluster mode ran a run (tables {@code partition_attempts},
 * {@code partitions}, {@code items}, {@code item_stats}, {@code outputs}): which worker ran which
 * partition, how many items each attempt made, which partitions run now, and whether every item was
 * made exactly once. What {@code cluster-demo} prints. Thread-safe.
 */
@Repository
public class PartitionAudit {

    /** {@link #process} in SQL. */
    private static final String PROCESS_OF = "split_part(%1$s, ':', 1) || ':' || split_part(%1$s, ':', 2)";

    private final JdbcClient jdbc;
    private final PartitionStore partitions;

    public PartitionAudit(JdbcClient jdbc, PartitionStore partitions) {
        this.jdbc = jdbc;
        this.partitions = partitions;
    }

    /**
     * One attempt at a partition with the items it made: done items of the partition whose row names the
     * attempt's worker process. {@code endedAt} and {@code outcome} are null while it runs.
     */
    public record AttemptItems(long stepExecutionId, String name, int attempt, String worker, Instant startedAt,
                               Instant endedAt, String outcome, long items) {
    }

    /** A partition running now: its holder ({@code host:pid:random}) and the items it has made so far. */
    public record Running(long stepExecutionId, String name, String worker, int attempt, long itemsMade) {
    }

    /**
     * Whether a run's items were made exactly once: items, done items, output rows, distinct output paths,
     * items made more than once (a micro-batch lost with its worker is made again: {@code attempts} 2).
     */
    public record Once(long items, long done, long outputs, long distinctPaths, long madeAgain) {
    }

    /**
     * Every attempt at the run's partitions, in the order they started ({@link PartitionStore#attempts}),
     * with the items each made: one grouped count of the run's done items by partition and process.
     */
    public List<AttemptItems> attempts(long requestId) {
        Map<List<String>, Long> made = new HashMap<>();
        jdbc.sql("SELECT s.partition_name, i.worker, count(*) FROM items i JOIN item_stats s "
                        + "ON s.request_id = i.request_id AND s.idx = i.idx WHERE i.request_id = ? AND i.status = 'done' "
                        + "GROUP BY s.partition_name, i.worker")
                .param(requestId)
                .query((RowCallbackHandler) rs -> made.put(Arrays.asList(rs.getString(1), rs.getString(2)), rs.getLong(3)));
        return partitions.attempts(requestId).stream()
                .map(a -> new AttemptItems(a.stepExecutionId(), a.name(), a.attempt(), a.worker(), a.startedAt(),
                        a.endedAt(), a.outcome(), made.getOrDefault(Arrays.asList(a.name(), process(a.worker())), 0L)))
                .toList();
    }

    /** How {@code items.worker} names a process ({@code host:pid}) from an instance id ({@code host:pid:random}). */
    static String process(String instance) {
        String[] parts = instance.split(":", -1);
        return parts.length < 2 ? instance : parts[0] + ":" + parts[1];
    }

    /** The run's partitions that a worker holds now, with the items each holder has made of it so far. */
    public List<Running> running(long requestId) {
        return jdbc.sql("SELECT p.step_execution_id, p.name, p.worker, p.attempts, "
                        + "(SELECT count(*) FROM items i JOIN item_stats s ON s.request_id = i.request_id AND s.idx = i.idx "
                        + "WHERE i.request_id = p.request_id AND i.status = 'done' AND s.partition_name = p.name "
                        + "AND i.worker = " + PROCESS_OF.formatted("p.worker") + ") "
                        + "FROM partitions p WHERE p.request_id = ? AND p.state = 'running' ORDER BY p.step_execution_id")
                .param(requestId)
                .query((rs, n) -> new Running(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                        rs.getLong(5)))
                .list();
    }

    /** The run's partition count (queued, running or done). */
    public long partitions(long requestId) {
        return jdbc.sql("SELECT count(*) FROM partitions WHERE request_id = ?").param(requestId)
                .query(Long.class).single();
    }

    /** The counts that say whether every item of the run was made exactly once. */
    public Once once(long requestId) {
        return jdbc.sql("SELECT (SELECT count(*) FROM items WHERE request_id = ?), "
                        + "(SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'), "
                        + "(SELECT count(*) FROM outputs WHERE request_id = ?), "
                        + "(SELECT count(DISTINCT path) FROM outputs WHERE request_id = ?), "
                        + "(SELECT count(*) FROM items WHERE request_id = ? AND attempts > 1)")
                .params(requestId, requestId, requestId, requestId, requestId)
                .query((rs, n) -> new Once(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)))
                .single();
    }

    /** An output file of the run: its path relative to the run's folder and its SHA-256. */
    public record OutputFile(long index, String path, String sha256) {
    }

    /** The run's output rows, by item index. */
    public List<OutputFile> outputs(long requestId) {
        return jdbc.sql("SELECT idx, path, sha256 FROM outputs WHERE request_id = ? ORDER BY idx").param(requestId)
                .query((rs, n) -> new OutputFile(rs.getLong(1), rs.getString(2), rs.getString(3)))
                .list();
    }

    /** How many events of {@code type} the ledger recorded for the run (e.g. {@code redispatched}). */
    public long events(long requestId, String type) {
        return jdbc.sql("SELECT count(*) FROM request_events WHERE request_id = ? AND type = ?")
                .params(requestId, type).query(Long.class).single();
    }
}
