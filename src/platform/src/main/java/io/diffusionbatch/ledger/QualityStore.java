package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.Optional;

/**
 * Quality rows: what the evaluator read off each output of a run ({@code item_quality}) and the
 * run's figures ({@code run_quality}). Saving replaces an earlier assessment of the run. Thread-safe.
 */
@Repository
public class QualityStore {

    /**
     * A run's stored quality. {@code adherence} and {@code fid} may be null (not computable);
     * {@code byGroupJson} is a JSON object.
     */
    public record RunQualityRow(long requestId, String evaluator, String evaluatorSha256, long assessed, long unreadable,
                                long labelled, long adherent, Double adherence, Double fid, int fidItems,
                                String byGroupJson, double seconds) {
    }

    /** One item's reading; {@code expectedJson} and {@code adherent} are null for prompts outside the evaluator's world. */
    public record ItemQualityRow(long requestId, long index, String readingsJson, String expectedJson, Boolean adherent) {
    }

    /** A written output to assess: its prompt and its file's path relative to the run's folder. */
    public record OutputToAssess(long index, String prompt, String path, String mediaType) {
    }

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final TransactionTemplate tx;

    public QualityStore(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.template = template;
        this.tx = tx;
    }

    /**
     * The run's outputs with index {@code > after} and {@code index % stride == 0}, in index order.
     *
     * @param stride >= 1; 1 = every output
     */
    public List<OutputToAssess> outputs(long requestId, long after, long stride, int limit) {
        return jdbc.sql("""
                SELECT o.idx, p.text, o.path, o.media_type
                FROM outputs o JOIN items i ON i.request_id = o.request_id AND i.idx = o.idx
                     JOIN prompts p ON p.id = i.prompt_id
                WHERE o.request_id = ? AND o.idx > ? AND o.idx % ? = 0 AND i.status = 'done'
                ORDER BY o.idx LIMIT ?""").params(requestId, after, stride, limit)
                .query((rs, k) -> new OutputToAssess(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                .list();
    }

    /** Replaces the run's assessment: its item rows and its run row, in one transaction. */
    public void save(RunQualityRow run, List<ItemQualityRow> items) {
        tx.executeWithoutResult(s -> {
            template.update("DELETE FROM item_quality WHERE request_id = ?", run.requestId());
            template.batchUpdate("INSERT INTO item_quality (request_id, idx, readings, expected, adherent) "
                    + "VALUES (?, ?, ?::jsonb, ?::jsonb, ?)", items, 1000, (ps, r) -> {
                        ps.setLong(1, r.requestId());
                        ps.setLong(2, r.index());
                        ps.setString(3, r.readingsJson());
                        ps.setString(4, r.expectedJson());
                        ps.setObject(5, r.adherent());
                    });
            template.update("""
                    INSERT INTO run_quality (request_id, evaluator, evaluator_sha256, items_assessed, items_unreadable,
                        items_labelled, items_adherent, adherence, fid, fid_items, by_group, seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)
                    ON CONFLICT (request_id) DO UPDATE SET evaluator = EXCLUDED.evaluator,
                        evaluator_sha256 = EXCLUDED.evaluator_sha256, items_assessed = EXCLUDED.items_assessed,
                        items_unreadable = EXCLUDED.items_unreadable, items_labelled = EXCLUDED.items_labelled,
                        items_adherent = EXCLUDED.items_adherent, adherence = EXCLUDED.adherence, fid = EXCLUDED.fid,
                        fid_items = EXCLUDED.fid_items, by_group = EXCLUDED.by_group, seconds = EXCLUDED.seconds,
                        computed_at = now()""",
                    run.requestId(), run.evaluator(), run.evaluatorSha256(), run.assessed(), run.unreadable(),
                    run.labelled(), run.adherent(), run.adherence(), run.fid(), run.fidItems(), run.byGroupJson(),
                    run.seconds());
        });
    }

    public Optional<RunQualityRow> find(long requestId) {
        return jdbc.sql("SELECT *, by_group::text AS groups FROM run_quality WHERE request_id = ?").param(requestId)
                .query((rs, k) -> new RunQualityRow(rs.getLong("request_id"), rs.getString("evaluator"),
                        rs.getString("evaluator_sha256"), rs.getLong("items_assessed"), rs.getLong("items_unreadable"),
                        rs.getLong("items_labelled"), rs.getLong("items_adherent"), (Double) rs.getObject("adherence"),
                        (Double) rs.getObject("fid"), rs.getInt("fid_items"), rs.getString("groups"),
                        rs.getDouble("seconds")))
                .optional();
    }

    public Optional<ItemQualityRow> findItem(long requestId, long index) {
        return jdbc.sql("SELECT readings::text, expected::text, adherent FROM item_quality WHERE request_id = ? AND idx = ?")
                .params(requestId, index)
                .query((rs, k) -> new ItemQualityRow(requestId, index, rs.getString(1), rs.getString(2),
                        (Boolean) rs.getObject(3)))
                .optional();
    }
}
