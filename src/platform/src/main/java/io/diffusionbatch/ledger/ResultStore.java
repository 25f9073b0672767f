package io.diffusionbatch.ledger;

import io.diffusionbatch.engine.ItemCounters;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Records finished micro-batches: output rows, item statistics and the items' status, in one
 * transaction per batch. Idempotent: recording an item again (a retried partition that made it
 * again after a crash before commit) replaces its rows, never adds a second output.
 * Thread-safe.
 */
@Repository
public class ResultStore {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;

    public ResultStore(JdbcTemplate jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /** When the first output of a run was recorded; empty before any. */
    public Optional<Instant> firstOutputAt(long requestId) {
        return Optional.ofNullable(jdbc.queryForObject("SELECT min(created_at) FROM outputs WHERE request_id = ?",
                Timestamp.class, requestId)).map(Timestamp::toInstant);
    }

    public void record(List<ItemResult> results) {
        if (results.isEmpty()) {
            return;
        }
        tx.executeWithoutResult(status -> {
            jdbc.batchUpdate("INSERT INTO outputs (request_id, idx, path, sha256, media_type, bytes) VALUES (?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (request_id, idx) DO UPDATE SET path = EXCLUDED.path, sha256 = EXCLUDED.sha256, "
                            + "media_type = EXCLUDED.media_type, bytes = EXCLUDED.bytes, created_at = now()",
                    results, results.size(), (ps, r) -> {
                        ps.setLong(1, r.requestId());
                        ps.setLong(2, r.index());
                        ps.setString(3, r.path());
                        ps.setString(4, r.sha256());
                        ps.setString(5, r.mediaType());
                        ps.setLong(6, r.bytes());
                    });
            jdbc.batchUpdate("INSERT INTO item_stats (request_id, idx, model_sha256, sampler, steps, nfe, guidance, batch_size, "
                            + "batch_position, partition_name, tokenize_seconds, text_encode_seconds, denoise_seconds, "
                            + "decode_seconds, write_seconds, device, execution_provider, threads, params_total, "
                            + "unet_flops_per_eval, flops_per_sample, energy_joules, energy_source, hardware) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (request_id, idx) DO UPDATE SET model_sha256 = EXCLUDED.model_sha256, "
                            + "sampler = EXCLUDED.sampler, steps = EXCLUDED.steps, nfe = EXCLUDED.nfe, guidance = EXCLUDED.guidance, "
                            + "batch_size = EXCLUDED.batch_size, batch_position = EXCLUDED.batch_position, "
                            + "partition_name = EXCLUDED.partition_name, tokenize_seconds = EXCLUDED.tokenize_seconds, "
                            + "text_encode_seconds = EXCLUDED.text_encode_seconds, denoise_seconds = EXCLUDED.denoise_seconds, "
                            + "decode_seconds = EXCLUDED.decode_seconds, write_seconds = EXCLUDED.write_seconds, "
                            + "device = EXCLUDED.device, execution_provider = EXCLUDED.execution_provider, "
                            + "threads = EXCLUDED.threads, params_total = EXCLUDED.params_total, "
                            + "unet_flops_per_eval = EXCLUDED.unet_flops_per_eval, flops_per_sample = EXCLUDED.flops_per_sample, "
                            + "energy_joules = EXCLUDED.energy_joules, energy_source = EXCLUDED.energy_source, "
                            + "hardware = EXCLUDED.hardware",
                    results, results.size(), (ps, r) -> {
                        ItemCounters c = r.counters();
                        ps.setLong(1, r.requestId());
                        ps.setLong(2, r.index());
                        ps.setString(3, r.modelSha256());
                        ps.setString(4, r.sampler());
                        ps.setInt(5, c.steps());
                        ps.setInt(6, c.nfe());
                        ps.setDouble(7, r.guidance());
                        ps.setInt(8, c.batchSize());
                        ps.setInt(9, r.batchPosition());
                        ps.setString(10, r.partition());
                        ps.setDouble(11, c.tokenizeSeconds());
                        ps.setDouble(12, c.textEncodeSeconds());
                        ps.setDouble(13, c.denoiseSeconds());
                        ps.setDouble(14, c.decodeSeconds());
                        ps.setDouble(15, c.writeSeconds());
                        ps.setString(16, c.device());
                        ps.setString(17, c.executionProvider());
                        ps.setInt(18, c.threads());
                        ps.setLong(19, c.cost().totalParams());
                        ps.setLong(20, c.cost().unetFlops());
                        ps.setLong(21, c.cost().flopsPerSample());
                        ps.setObject(22, r.energyJoules(), java.sql.Types.DOUBLE);
                        ps.setString(23, r.energySource());
                        ps.setString(24, r.hardware());
                    });
            // one statement per (run, worker): the counters' statement trigger runs once per micro-batch
            Map<List<Object>, List<Long>> groups = new LinkedHashMap<>();
            for (ItemResult r : results) {
                groups.computeIfAbsent(List.of(r.requestId(), String.valueOf(r.worker())), k -> new ArrayList<>())
                        .add(r.index());
            }
            groups.forEach((key, indices) -> jdbc.update("UPDATE items SET status = 'done', worker = ?, error = NULL, "
                            + "finished_at = now() WHERE request_id = ? AND idx = ANY (?)",
                    ps -> {
                        ps.setString(1, (String) key.get(1));
                        ps.setLong(2, (Long) key.get(0));
                        ps.setArray(3, ps.getConnection().createArrayOf("bigint", indices.toArray()));
                    }));
        });
    }
}
