package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.util.Optional;

/** Computes run statistics from the item rows and stores them. Thread-safe. */
@Repository
public class RunStatsStore {

    private final JdbcClient jdbc;

    public RunStatsStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Sums the item statistics of a request into its run row (replacing an earlier one).
     *
     * @param wallSeconds   elapsed seconds of the generate step (all attempts)
     * @param expandSeconds elapsed seconds of the expand step
     */
    public RunStats summarize(long requestId, double wallSeconds, double expandSeconds) {
        jdbc.sql("""
                INSERT INTO run_stats (request_id, items_done, items_failed, items_cancelled, wall_seconds, items_per_second,
                    total_nfe, total_flops, tokenize_seconds, text_encode_seconds, denoise_seconds, decode_seconds,
                    write_seconds, expand_seconds, energy_joules, energy_source)
                SELECT ?, c.done, c.failed, c.cancelled, ?, CASE WHEN ? > 0 THEN c.done / ? ELSE 0 END,
                    COALESCE(s.nfe, 0), COALESCE(s.flops, 0), COALESCE(s.tok, 0), COALESCE(s.enc, 0), COALESCE(s.den, 0),
                    COALESCE(s.dec, 0), COALESCE(s.wri, 0), ?, s.energy, s.energy_source
                FROM (SELECT count(*) FILTER (WHERE status = 'done') AS done,
                             count(*) FILTER (WHERE status = 'failed') AS failed,
                             count(*) FILTER (WHERE status = 'cancelled') AS cancelled
                      FROM items WHERE request_id = ?) c,
                     (SELECT sum(nfe) AS nfe, sum(flops_per_sample::double precision) AS flops, sum(tokenize_seconds) AS tok,
                             sum(text_encode_seconds) AS enc, sum(denoise_seconds) AS den, sum(decode_seconds) AS dec,
                             sum(write_seconds) AS wri, sum(energy_joules) AS energy,
                             CASE WHEN count(DISTINCT energy_source) = 1 THEN min(energy_source) END AS energy_source
                      FROM item_stats WHERE request_id = ?) s
                ON CONFLICT (request_id) DO UPDATE SET items_done = EXCLUDED.items_done, items_failed = EXCLUDED.items_failed,
                    items_cancelled = EXCLUDED.items_cancelled, wall_seconds = EXCLUDED.wall_seconds,
                    items_per_second = EXCLUDED.items_per_second, total_nfe = EXCLUDED.total_nfe,
                    total_flops = EXCLUDED.total_flops, tokenize_seconds = EXCLUDED.tokenize_seconds,
                    text_encode_seconds = EXCLUDED.text_encode_seconds, denoise_seconds = EXCLUDED.denoise_seconds,
                    decode_seconds = EXCLUDED.decode_seconds, write_seconds = EXCLUDED.write_seconds,
                    expand_seconds = EXCLUDED.expand_seconds, energy_joules = EXCLUDED.energy_joules,
                    energy_source = EXCLUDED.energy_source, computed_at = now()
                """).params(requestId, wallSeconds, wallSeconds, wallSeconds, expandSeconds, requestId, requestId).update();
        return find(requestId).orElseThrow();
    }

    public Optional<RunStats> find(long requestId) {
        return jdbc.sql("SELECT * FROM run_stats WHERE request_id = ?").param(requestId)
                .query((rs, k) -> new RunStats(rs.getLong("request_id"), rs.getLong("items_done"), rs.getLong("items_failed"),
                        rs.getLong("items_cancelled"), rs.getDouble("wall_seconds"), rs.getDouble("items_per_second"),
                        rs.getLong("total_nfe"), rs.getDouble("total_flops"), rs.getDouble("tokenize_seconds"),
                        rs.getDouble("text_encode_seconds"), rs.getDouble("denoise_seconds"), rs.getDouble("decode_seconds"),
                        rs.getDouble("write_seconds"), rs.getDouble("expand_seconds"),
                        (Double) rs.getObject("energy_joules"), rs.getString("energy_source")))
                .optional();
    }
}
