package io.diffusionbatch.ledger;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/**
 * The export step's rows (V10): what it reads of a night's items, and the night and its exclusions it records.
 * Recording replaces what an earlier export of the same night recorded, in one transaction. Thread-safe.
 */
@Repository
public class DatasetStore {

    /**
     * One item of a night as the export needs it, in index order.
     *
     * @param status      the item's status (pending, done, failed, cancelled)
     * @param negative    its negative prompt; null = none
     * @param labelsJson  its labels (a JSON object), or null
     * @param path        its output file relative to the run's folder; null when it has none
     * @param sha256      the output's sha256; null when none
     * @param mediaType   the output's media type; null when none
     * @param modelSha256 the model's sha256 the item was made with; null when not made
     * @param sampler     the sampler it was made with; null when not made
     * @param steps       its steps; 0 when not made
     * @param guidance    its guidance scale; 0 when not made
     * @param nfe         network evaluations it took; 0 when not made
     * @param readingsJson what the evaluator read (head → label); null when not assessed
     * @param expectedJson what the prompt asks for (head → label); null when not assessed or not a caption
     * @param adherent    the evaluator's verdict; null when not assessed or not a caption
     * @param error       why it failed; null otherwise
     */
    public record ExportItem(long index, String status, String prompt, @Nullable String negative, long seed,
                             @Nullable String labelsJson, @Nullable String path, @Nullable String sha256,
                             @Nullable String mediaType, @Nullable String modelSha256, @Nullable String sampler,
                             int steps, double guidance, int nfe,
                             @Nullable String readingsJson, @Nullable String expectedJson, @Nullable Boolean adherent,
                             @Nullable String error) {
    }

    /** What an export recorded of one night (a row of {@code dataset_nights}); see V10 for each column. */
    public record Night(long requestId, String dataset, LocalDate night, String specSha256, String status,
                        boolean gatePassed, @Nullable String message, long itemsTotal, long itemsExported,
                        long itemsRejected, long itemsMissing, String splitsJson, String exportDir, String cardSha256,
                        int files, long bytes, double exportSeconds) {
    }

    /** An item left out of an export. */
    public record Exclusion(long index, String reason, String detail) {
    }

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final TransactionTemplate tx;

    public DatasetStore(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.template = template;
        this.tx = tx;
    }

    /** Up to {@code limit} items of the run with index {@code > after}, in index order. */
    public List<ExportItem> items(long requestId, long after, int limit) {
        return jdbc.sql("""
                SELECT i.idx, i.status, p.text, n.text AS negative, i.seed, i.labels::text AS labels, o.path, o.sha256,
                       o.media_type, s.model_sha256, s.sampler, COALESCE(s.steps, 0) AS steps,
                       COALESCE(s.guidance, 0) AS guidance, COALESCE(s.nfe, 0) AS nfe, q.readings::text AS readings,
                       q.expected::text AS expected, q.adherent, i.error
                FROM items i JOIN prompts p ON p.id = i.prompt_id
                     LEFT JOIN prompts n ON n.id = i.negative_id
                     LEFT JOIN outputs o ON o.request_id = i.request_id AND o.idx = i.idx
                     LEFT JOIN item_stats s ON s.request_id = i.request_id AND s.idx = i.idx
                     LEFT JOIN item_quality q ON q.request_id = i.request_id AND q.idx = i.idx
                WHERE i.request_id = ? AND i.idx > ?
                ORDER BY i.idx LIMIT ?""").params(requestId, after, limit)
                .query((rs, k) -> new ExportItem(rs.getLong("idx"), rs.getString("status"), rs.getString("text"),
                        rs.getString("negative"), rs.getLong("seed"), rs.getString("labels"), rs.getString("path"),
                        rs.getString("sha256"), rs.getString("media_type"), rs.getString("model_sha256"),
                        rs.getString("sampler"), rs.getInt("steps"), rs.getDouble("guidance"), rs.getInt("nfe"), rs.getString("readings"), rs.getString("expected"),
                        (Boolean) rs.getObject("adherent"), rs.getString("error")))
                .list();
    }

    /** Records the night and its exclusions, replacing an earlier export's rows of it. */
    public void record(Night n, List<Exclusion> exclusions) {
        tx.executeWithoutResult(s -> {
            template.update("DELETE FROM dataset_exclusions WHERE request_id = ?", n.requestId());
            template.batchUpdate("INSERT INTO dataset_exclusions (request_id, idx, reason, detail) VALUES (?, ?, ?, ?)",
                    exclusions, 1000, (ps, e) -> {
                        ps.setLong(1, n.requestId());
                        ps.setLong(2, e.index());
                        ps.setString(3, e.reason());
                        ps.setString(4, e.detail());
                    });
            template.update("""
                    INSERT INTO dataset_nights (request_id, dataset, night, spec_sha256, status, gate_passed, message,
                        items_total, items_exported, items_rejected, items_missing, splits, export_dir, card_sha256,
                        files, bytes, export_seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?)
                    ON CONFLICT (request_id) DO UPDATE SET status = EXCLUDED.status,
                        gate_passed = EXCLUDED.gate_passed, message = EXCLUDED.message,
                        items_total = EXCLUDED.items_total, items_exported = EXCLUDED.items_exported,
                        items_rejected = EXCLUDED.items_rejected, items_missing = EXCLUDED.items_missing,
                        splits = EXCLUDED.splits, export_dir = EXCLUDED.export_dir, card_sha256 = EXCLUDED.card_sha256,
                        files = EXCLUDED.files, bytes = EXCLUDED.bytes, export_seconds = EXCLUDED.export_seconds,
                        exported_at = now(), pruned_at = NULL""",
                    n.requestId(), n.dataset(), n.night(), n.specSha256(), n.status(), n.gatePassed(), n.message(),
                    n.itemsTotal(), n.itemsExported(), n.itemsRejected(), n.itemsMissing(), n.splitsJson(),
                    n.exportDir(), n.cardSha256(), n.files(), n.bytes(), n.exportSeconds());
        });
    }

    /** The night's recorded export, if any. */
    public Optional<Night> find(long requestId) {
        return jdbc.sql("SELECT *, splits::text AS splits_text FROM dataset_nights WHERE request_id = ?")
                .param(requestId).query((rs, k) -> new Night(rs.getLong("request_id"), rs.getString("dataset"),
                        rs.getObject("night", LocalDate.class), rs.getString("spec_sha256"), rs.getString("status"),
                        rs.getBoolean("gate_passed"), rs.getString("message"), rs.getLong("items_total"),
                        rs.getLong("items_exported"), rs.getLong("items_rejected"), rs.getLong("items_missing"),
                        rs.getString("splits_text"), rs.getString("export_dir"), rs.getString("card_sha256"),
                        rs.getInt("files"), rs.getLong("bytes"), rs.getDouble("export_seconds")))
                .optional();
    }

    /**
     * A pruned night's folders: its export and its run's outputs (relative to the output root).
     *
     * @param runDir the run's output location
     */
    public record Prunable(long requestId, LocalDate night, String exportDir, String runDir) {
    }

    /**
     * The dataset's exported (or failed) nights beyond the newest {@code keep}, by night then run, whose files
     * retention deletes.
     */
    public List<Prunable> beyondRetention(String dataset, int keep) {
        return jdbc.sql("""
                SELECT d.request_id, d.night, d.export_dir, r.output_dir FROM dataset_nights d
                JOIN requests r ON r.id = d.request_id
                WHERE d.dataset = ? AND d.status <> 'pruned'
                ORDER BY d.night DESC, d.request_id DESC OFFSET ?""").params(dataset, keep)
                .query((rs, k) -> new Prunable(rs.getLong(1), rs.getObject(2, LocalDate.class), rs.getString(3),
                        rs.getString(4)))
                .list();
    }

    /** Marks a night pruned (its files deleted); its rows, items and exclusions stay. */
    public void markPruned(long requestId) {
        template.update("UPDATE dataset_nights SET status = 'pruned', pruned_at = now() WHERE request_id = ?",
                requestId);
    }

    /** Whether the ledger has a request for this dataset's night (any version of its spec). */
    public boolean nightRequested(String dataset, LocalDate night) {
        return jdbc.sql("SELECT EXISTS (SELECT 1 FROM requests WHERE labels ->> 'dataset' = ? "
                + "AND labels ->> 'dataset.night' = ?)").params(dataset, night.toString()).query(Boolean.class).single();
    }

    /**
     * Claims the sending of a scheduled night: true for the first caller only, across every server.
     *
     * @param night the night's key, {@code NAME:YYYY-MM-DD}
     */
    public boolean claimFiring(String night, String server) {
        return template.update("INSERT INTO dataset_firings (night, fired_by) VALUES (?, ?) ON CONFLICT DO NOTHING",
                night, server) == 1;
    }

    /** Gives a claim back (its send failed), so that the night can be sent again. */
    public void releaseFiring(String night) {
        template.update("DELETE FROM dataset_firings WHERE night = ?", night);
    }
}
