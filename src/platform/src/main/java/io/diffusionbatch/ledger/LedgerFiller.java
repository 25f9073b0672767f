package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Fills the ledger with large finished runs for the dashboard-scale benchmark
 * ({@code dashboard-bench --fill-items}): rows written by SQL in the database (generate_series), not
 * made by the engine, so ten million items take minutes. Works on any schema version from V3 on.
 * Never used by the platform itself. Thread-safe.
 */
@Repository
public class LedgerFiller {

    private static final long CHUNK = 1_000_000;

    private final JdbcClient jdbc;

    /** @param jdbc the ledger (not null) */
    public LedgerFiller(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Stores a finished run (status {@code completed}, never run by a worker) with {@code items}
     * items: the first {@code done} done, the next {@code failed} failed, the rest cancelled; one
     * prompt, seeds 0.., no outputs or statistics. Written in chunks of a million items, each its
     * own transaction.
     *
     * @param clientRequestId unique, not null
     * @return the run's id
     */
    public long addFinishedRun(String clientRequestId, long items, long done, long failed) {
        long prompt = jdbc.sql("INSERT INTO prompts (text) VALUES ('a dashboard-scale benchmark item') "
                + "ON CONFLICT ((md5(text))) DO UPDATE SET text = EXCLUDED.text RETURNING id").query(Long.class).single();
        long run = jdbc.sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, source, "
                        + "started_at, finished_at) VALUES (?, 'image', 'bench', '{}', ?, 'completed', '/nonexistent/bench', "
                        + "'dashboard-bench', now(), now()) RETURNING id")
                .params(clientRequestId, items).query(Long.class).single();
        for (long from = 0; from < items; from += CHUNK) {
            jdbc.sql("INSERT INTO items (request_id, idx, prompt_id, seed, status, attempts, worker, finished_at) "
                            + "SELECT ?, g, ?, g, CASE WHEN g < ? THEN 'done' WHEN g < ? THEN 'failed' ELSE 'cancelled' END, "
                            + "1, 'bench', now() FROM generate_series(?::bigint, ?::bigint) g")
                    .params(run, prompt, done, done + failed, from, Math.min(items, from + CHUNK) - 1).update();
        }
        return run;
    }

    /** VACUUM ANALYZE of the items, as autovacuum would leave a ledger some time after its writes. */
    public void vacuumItems() {
        jdbc.sql("VACUUM (ANALYZE) items").update();
    }

    /** Sizes for the record: {@code "database X, items Y (with indexes)"}. */
    public String sizes() {
        return jdbc.sql("SELECT 'database ' || pg_size_pretty(pg_database_size(current_database())) || ', items ' "
                + "|| pg_size_pretty(pg_total_relation_size('items')) || ' (with indexes), ' "
                + "|| (SELECT count(*) FROM requests) || ' runs'").query(String.class).single();
    }
}
