package io.diffusionbatch.ledger;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Iterator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Work items: bulk expansion with COPY, the pending items of a partition's range, and counts.
 * Thread-safe.
 */
@Repository
public class ItemStore {

    private static final int COPY_BUFFER_CHARS = 1 << 20;

    private final DataSource dataSource;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public ItemStore(DataSource dataSource, JdbcClient jdbc, TransactionTemplate tx) {
        this.dataSource = dataSource;
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /**
     * Writes the items of a request in one transaction: the distinct prompt texts are
     * deduplicated against the prompts table, then the items are streamed in with COPY.
     * Idempotent: items already present (a restarted expand step) are left alone.
     *
     * @param items called twice (prompts pass, items pass); each iterator gives the items in index order
     * @return the number of items written
     */
    public long expand(long requestId, Supplier<Iterator<NewItem>> items) {
        Long written = tx.execute(status -> {
            if (indexBound(requestId) > 0) {
                return 0L;
            }
            Connection c = DataSourceUtils.getConnection(dataSource);
            try {
                Map<String, Long> promptIds = storePrompts(c, items.get());
                return copyItems(c, requestId, items.get(), promptIds);
            } catch (SQLException e) {
                throw new IllegalStateException("expand request " + requestId + ": " + e.getMessage(), e);
            }
        });
        return written == null ? 0 : written;
    }

    private static Map<String, Long> storePrompts(Connection c, Iterator<NewItem> items) throws SQLException {
        Map<String, Integer> ord = new LinkedHashMap<>();
        String previous = null;
        while (items.hasNext()) {
            NewItem it = items.next();
            if (it.prompt().equals(previous) && it.negativePrompt() == null) {
                continue; // prompt-major order: the seeds of one prompt follow each other
            }
            previous = it.prompt();
            ord.putIfAbsent(it.prompt(), ord.size());
            if (it.negativePrompt() != null) {
                ord.putIfAbsent(it.negativePrompt(), ord.size());
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE tmp_prompts (ord INT PRIMARY KEY, text TEXT NOT NULL) ON COMMIT DROP");
        }
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY tmp_prompts (ord, text) FROM STDIN");
        StringBuilder buf = new StringBuilder();
        for (Map.Entry<String, Integer> e : ord.entrySet()) {
            buf.append(e.getValue()).append('\t');
            CopyText.field(buf, e.getKey());
            buf.append('\n');
            if (buf.length() > COPY_BUFFER_CHARS) {
                flush(in, buf);
            }
        }
        flush(in, buf);
        in.endCopy();
        Map<Integer, String> byOrd = new HashMap<>();
        ord.forEach((k, v) -> byOrd.put(v, k));
        Map<String, Long> ids = new HashMap<>(ord.size() * 2);
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO prompts (text) SELECT text FROM tmp_prompts ORDER BY ord ON CONFLICT ((md5(text))) DO NOTHING");
            try (ResultSet rs = s.executeQuery("SELECT t.ord, p.id FROM tmp_prompts t JOIN prompts p "
                    + "ON md5(p.text) = md5(t.text) AND p.text = t.text")) {
                while (rs.next()) {
                    ids.put(byOrd.get(rs.getInt(1)), rs.getLong(2));
                }
            }
        }
        if (ids.size() != ord.size()) {
            throw new SQLException("prompt deduplication lost " + (ord.size() - ids.size()) + " texts");
        }
        return ids;
    }

    private static long copyItems(Connection c, long requestId, Iterator<NewItem> items, Map<String, Long> promptIds)
            throws SQLException {
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY items (request_id, idx, prompt_id, negative_id, seed, labels) FROM STDIN");
        StringBuilder buf = new StringBuilder(COPY_BUFFER_CHARS + 4096);
        String rid = Long.toString(requestId);
        long n = 0;
        String previous = null;
        Long previousId = null;
        while (items.hasNext()) {
            NewItem it = items.next();
            if (!it.prompt().equals(previous)) {
                previous = it.prompt();
                previousId = promptIds.get(previous);
            }
            buf.append(rid).append('\t').append(it.index()).append('\t').append(previousId).append('\t');
            buf.append(it.negativePrompt() == null ? "\\N" : promptIds.get(it.negativePrompt()).toString()).append('\t');
            buf.append(it.seed()).append('\t');
            CopyText.field(buf, it.labelsJson());
            buf.append('\n');
            n++;
            if (buf.length() > COPY_BUFFER_CHARS) {
                flush(in, buf);
            }
        }
        flush(in, buf);
        in.endCopy();
        return n;
    }

    private static void flush(CopyIn in, StringBuilder buf) throws SQLException {
        if (buf.length() > 0) {
            byte[] b = buf.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(b, 0, b.length);
            buf.setLength(0);
        }
    }

    /**
     * Items of a request, whatever their status; 0 before its expansion. Reads the run's counters
     * ({@code run_counters}, kept by triggers on {@code items}, migration V5), not the items.
     */
    public long count(long requestId) {
        return jdbc.sql("SELECT COALESCE(sum(pending + done + failed + cancelled), 0) FROM run_counters WHERE request_id = ?")
                .param(requestId).query(Long.class).single();
    }

    /**
     * One past the highest item index of a request (0 before its expansion), from the items
     * themselves (their primary key), not the counters: partitions are cut from it, so that no
     * item can fall outside them whatever became of the counters.
     */
    public long indexBound(long requestId) {
        return jdbc.sql("SELECT COALESCE(max(idx) + 1, 0) FROM items WHERE request_id = ?").param(requestId)
                .query(Long.class).single();
    }

    /** Pending items of the runs not yet finished (waiting, running or stopping), over all runs; from the counters. */
    public long countPendingOfLiveRuns() {
        return jdbc.sql("SELECT COALESCE(sum(c.pending), 0) FROM run_counters c JOIN requests r ON r.id = c.request_id "
                + "WHERE r.status IN ('accepted', 'running', 'cancelling')")
                .query(Long.class).single();
    }

    /**
     * Items by status for a request, e.g. {@code {PENDING=10, DONE=22}}; statuses without items are
     * absent. From the counters: a few rows whatever the size of the run.
     */
    public Map<ItemStatus, Long> countByStatus(long requestId) {
        Map<ItemStatus, Long> m = new EnumMap<>(ItemStatus.class);
        jdbc.sql("SELECT COALESCE(sum(pending), 0) AS pending, COALESCE(sum(done), 0) AS done, "
                        + "COALESCE(sum(failed), 0) AS failed, COALESCE(sum(cancelled), 0) AS cancelled "
                        + "FROM run_counters WHERE request_id = ?")
                .param(requestId).query(rs -> {
                    for (ItemStatus st : ItemStatus.values()) {
                        long n = rs.getLong(st.sql());
                        if (n > 0) {
                            m.put(st, n);
                        }
                    }
                });
        return m;
    }

    /**
     * Claims the next micro-batch of a partition: at most {@code limit} pending items with index in
     * [from, to), in index order, each with its {@code attempts} counted up (committed with this
     * statement, so an attempt that crashes is counted too), and whether more remain after them.
     * Empty when the run was asked to stop (cancelling or cancelled), or when this process holds
     * neither the run (another server instance owns it now: this one's lease expired and the run was
     * resumed elsewhere) nor, in cluster mode, the partition (its {@code partitions} row names
     * another worker, or none): a fence against two processes making one range. One round trip
     * answers the questions a worker asks before each micro-batch. Call it outside a longer transaction.
     *
     * @param owner           this process's instance ({@code requests.owner}, {@code partitions.worker}); a run
     *                        without an owner is anyone's
     * @param stepExecutionId the partition's step execution (its {@code partitions} row in cluster mode)
     */
    public PendingBatch nextBatch(long requestId, long from, long to, int limit, String owner, long stepExecutionId) {
        long[] picked = {0};
        List<PendingItem> rows = jdbc.sql("WITH picked AS (SELECT i.idx FROM items i "
                        + "WHERE i.request_id = ? AND i.idx >= ? AND i.idx < ? AND i.status = 'pending' "
                        + "AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = i.request_id "
                        + "AND (r.status IN ('cancelling', 'cancelled') OR r.owner <> ? AND NOT EXISTS ("
                        + "SELECT 1 FROM partitions p WHERE p.step_execution_id = ? AND p.worker = ? "
                        + "AND p.state = 'running'))) ORDER BY i.idx LIMIT ?), "
                        + "claimed AS (UPDATE items i SET attempts = i.attempts + 1 "
                        + "FROM (SELECT idx FROM picked ORDER BY idx LIMIT ?) c WHERE i.request_id = ? AND i.idx = c.idx "
                        + "RETURNING i.idx, i.prompt_id, i.negative_id, i.seed) "
                        + "SELECT c.idx, p.text AS prompt, n.text AS negative, c.seed, "
                        + "(SELECT count(*) FROM picked) AS picked FROM claimed c "
                        + "JOIN prompts p ON p.id = c.prompt_id LEFT JOIN prompts n ON n.id = c.negative_id ORDER BY c.idx")
                .params(requestId, from, to, owner, stepExecutionId, owner, limit + 1, limit, requestId)
                .query((rs, k) -> {
                    picked[0] = rs.getLong("picked");
                    return new PendingItem(requestId, rs.getLong("idx"), rs.getString("prompt"),
                            rs.getString("negative"), rs.getLong("seed"));
                })
                .list();
        return new PendingBatch(rows, picked[0] > limit);
    }

    /**
     * A partition's next micro-batch.
     *
     * @param items the items to make now, in index order; empty when none remain or the run stops
     * @param more  whether pending items remain in the partition's range after these
     */
    public record PendingBatch(List<PendingItem> items, boolean more) {
    }

    /**
     * Of the files named like items of a request ({@code stem} = {@code INDEX-SEED}, with the index
     * and seed it names), the stems that are this request's items (the same index and seed) with no
     * output row, and that no other request writing into the same folder records either: the files
     * a crashed micro-batch left behind, never another run's outputs.
     *
     * @param outputDirs every {@code output_dir} under which a run of the same folder may be kept (relative, and the
     *                   absolute forms older versions stored)
     */
    public java.util.Set<String> orphanStems(long requestId, List<String> outputDirs, List<Long> indices,
                                             List<Long> seeds, List<String> stems) {
        return new java.util.HashSet<>(jdbc.sql("SELECT c.stem FROM unnest(?::bigint[], ?::bigint[], ?::text[]) "
                        + "AS c(idx, seed, stem) JOIN items i ON i.request_id = ? AND i.idx = c.idx AND i.seed = c.seed "
                        + "WHERE NOT EXISTS (SELECT 1 FROM outputs o WHERE o.request_id = i.request_id AND o.idx = i.idx) "
                        + "AND NOT EXISTS (SELECT 1 FROM requests q JOIN outputs o ON o.request_id = q.id AND o.idx = c.idx "
                        + "WHERE q.output_dir = ANY(?::text[]) AND q.id <> ? AND o.path LIKE c.stem || '.%')")
                .params(indices.toArray(new Long[0]), seeds.toArray(new Long[0]), stems.toArray(new String[0]),
                        requestId, outputDirs.toArray(new String[0]), requestId)
                .query(String.class).list());
    }

    /** Marks the still pending items of a request cancelled; returns how many. */
    public int cancelPending(long requestId) {
        return jdbc.sql("UPDATE items SET status = 'cancelled', finished_at = now() WHERE request_id = ? AND status = 'pending'")
                .param(requestId).update();
    }

    /** Marks one item failed with the reason (it is not retried by a restart; its attempt was counted when claimed). */
    public void markFailed(long requestId, long index, String worker, String error) {
        jdbc.sql("UPDATE items SET status = 'failed', worker = ?, error = ?, finished_at = now() "
                + "WHERE request_id = ? AND idx = ? AND status = 'pending'").params(worker, error, requestId, index).update();
    }
}
