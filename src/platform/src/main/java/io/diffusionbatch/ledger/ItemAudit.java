package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads every row about an item. Thread-safe. */
@Service
public class ItemAudit {

    private final JdbcClient jdbc;

    public ItemAudit(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<ItemRecord> find(ItemRef ref) {
        List<Map<String, Object>> rows = jdbc.sql("""
                SELECT r.client_request_id, r.model, r.spec::text AS spec, r.output_dir, p.text AS prompt,
                       n.text AS negative, i.seed, i.status, i.attempts, i.worker, i.error, i.labels::text AS labels
                FROM items i JOIN requests r ON r.id = i.request_id JOIN prompts p ON p.id = i.prompt_id
                LEFT JOIN prompts n ON n.id = i.negative_id
                WHERE i.request_id = ? AND i.idx = ?""").params(ref.run(), ref.index()).query().listOfRows();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> r = rows.get(0);
        Map<String, Object> output = one("SELECT path, sha256, media_type, bytes, created_at FROM outputs "
                + "WHERE request_id = ? AND idx = ?", ref);
        Map<String, Object> stats = one("SELECT * FROM item_stats WHERE request_id = ? AND idx = ?", ref);
        stats.remove("request_id");
        stats.remove("idx");
        Map<String, Object> quality = one("SELECT readings::text AS readings, expected::text AS expected, adherent "
                + "FROM item_quality WHERE request_id = ? AND idx = ?", ref);
        return Optional.of(new ItemRecord(ref, (String) r.get("client_request_id"), (String) r.get("model"),
                (String) r.get("prompt"), (String) r.get("negative"), (Long) r.get("seed"), ItemStatus.of((String) r.get("status")),
                (Integer) r.get("attempts"), (String) r.get("worker"), (String) r.get("error"), (String) r.get("labels"),
                output, stats, (String) r.get("spec"), (String) r.get("output_dir"), quality));
    }

    /** Indexes of a run's written items, in order. */
    public List<Long> writtenItems(long run) {
        return jdbc.sql("SELECT idx FROM outputs WHERE request_id = ? ORDER BY idx").param(run).query(Long.class).list();
    }

    private Map<String, Object> one(String sql, ItemRef ref) {
        List<Map<String, Object>> rows = jdbc.sql(sql).params(ref.run(), ref.index()).query().listOfRows();
        return rows.isEmpty() ? new LinkedHashMap<>() : new LinkedHashMap<>(rows.get(0));
    }
}
