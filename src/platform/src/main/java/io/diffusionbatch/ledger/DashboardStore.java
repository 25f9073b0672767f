package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ledger reads the dashboard needs beyond the audit's: runs with their progress (from the
 * per-run counters of migration V5, so a page costs the same whatever the size of its runs), a page of a
 * run's contact sheet, mean stage times, where an item's output file was recorded, and the runs
 * whose quality was measured. Read-only; results are never null (absent rows give empty results).
 * Thread-safe.
 */
@Repository
public class DashboardStore {

    /** An item of a contact sheet; {@code mediaType} is null when no output was written. */
    public record SheetCell(long index, ItemStatus status, String prompt, long seed, String mediaType) {
    }

    /** Mean seconds per written item of each stage; all zero when none was written. */
    public record StageTimes(long items, double tokenize, double textEncode, double denoise, double decode,
                             double write) {
    }

    /**
     * Where the ledger says an item's output is: the run's output folder as stored and the outputs row's
     * path relative to it, its size and SHA-256 (hex), exactly as recorded (not checked against
     * the file system).
     */
    public record StoredOutput(String runDir, String path, String mediaType, long bytes, String sha256) {
    }

    /**
     * A run whose quality was measured, as the quality page plots it.
     *
     * @param nfe       mean network evaluations per written item
     * @param fid       null when not computable for the run
     * @param fidItems  images the FID was computed over (0 when {@code fid} is null)
     * @param adherence share of scored items whose every prompted attribute was read as prompted;
     *                  null when no prompt was a caption of the evaluator's world
     * @param scored    items scored for adherence
     */
    public record QualityPoint(long run, String model, String sampler, int steps, double nfe, Double fid, int fidItems,
                               Double adherence, long scored) {
    }

    private static final String SUMMARY = """
            SELECT r.id, r.client_request_id, r.status, r.model, r.item_count, r.output_dir, r.accepted_at, r.started_at, r.finished_at,
                   COALESCE((SELECT s.sampler FROM item_stats s WHERE s.request_id = r.id ORDER BY s.idx LIMIT 1),
                            r.spec->'params'->>'sampler', 'default') AS sampler,
                   COALESCE((SELECT s.steps FROM item_stats s WHERE s.request_id = r.id ORDER BY s.idx LIMIT 1),
                            (r.spec->'params'->>'steps')::int) AS steps,
                   c.done, c.failed, c.cancelled
            FROM requests r CROSS JOIN LATERAL (
                SELECT COALESCE(sum(c.done), 0) AS done, COALESCE(sum(c.failed), 0) AS failed,
                       COALESCE(sum(c.cancelled), 0) AS cancelled
                FROM run_counters c WHERE c.request_id = r.id) c
            """;

    private final JdbcClient jdbc;

    /** @param jdbc the ledger (not null) */
    public DashboardStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The newest {@code limit} runs, newest first, with their progress. */
    public List<RunSummary> latestRuns(int limit) {
        return jdbc.sql(SUMMARY + " ORDER BY r.id DESC LIMIT ?").param(limit).query(DashboardStore::summary).list();
    }

    /** One run with its progress; empty when there is no such run. */
    public Optional<RunSummary> run(long id) {
        return jdbc.sql(SUMMARY + " WHERE r.id = ?").param(id).query(DashboardStore::summary).optional();
    }

    /** Items with index in [from, to) of a run, in index order, with their output's media type where written. */
    public List<SheetCell> cells(long run, long from, long to) {
        return jdbc.sql("""
                        SELECT i.idx, i.status, p.text AS prompt, i.seed, o.media_type
                        FROM items i JOIN prompts p ON p.id = i.prompt_id
                        LEFT JOIN outputs o ON o.request_id = i.request_id AND o.idx = i.idx
                        WHERE i.request_id = ? AND i.idx >= ? AND i.idx < ? ORDER BY i.idx""")
                .params(run, from, to)
                .query((rs, k) -> new SheetCell(rs.getLong("idx"), ItemStatus.of(rs.getString("status")), rs.getString("prompt"),
                        rs.getLong("seed"), rs.getString("media_type")))
                .list();
    }

    /** Mean stage seconds per written item of a run (live while it runs). */
    public StageTimes stageTimes(long run) {
        Map<String, Object> r = jdbc.sql("""
                SELECT count(*) AS n, COALESCE(avg(tokenize_seconds), 0) AS tok, COALESCE(avg(text_encode_seconds), 0) AS enc,
                       COALESCE(avg(denoise_seconds), 0) AS den, COALESCE(avg(decode_seconds), 0) AS dec,
                       COALESCE(avg(write_seconds), 0) AS wri
                FROM item_stats WHERE request_id = ?""").param(run).query().singleRow();
        return new StageTimes(((Number) r.get("n")).longValue(), d(r, "tok"), d(r, "enc"), d(r, "den"), d(r, "dec"),
                d(r, "wri"));
    }

    /** The recorded output of item {@code run/index}; empty when it has none. */
    public Optional<StoredOutput> output(long run, long index) {
        return jdbc.sql("SELECT r.output_dir, o.path, o.media_type, o.bytes, o.sha256 FROM outputs o JOIN requests r ON r.id = o.request_id "
                        + "WHERE o.request_id = ? AND o.idx = ?").params(run, index)
                .query((rs, k) -> new StoredOutput(rs.getString("output_dir"), rs.getString("path"),
                        rs.getString("media_type"), rs.getLong("bytes"), rs.getString("sha256")))
                .optional();
    }

    /**
     * The newest {@code limit} runs with a measured FID or adherence and at least one written
     * item, newest first; sampler and steps as the items were made.
     */
    public List<QualityPoint> measuredRuns(int limit) {
        return jdbc.sql("""
                        SELECT r.id, r.model, min(s.sampler) AS sampler, min(s.steps) AS steps, avg(s.nfe) AS nfe,
                               q.fid, q.fid_items, q.adherence, q.items_labelled
                        FROM requests r JOIN run_quality q ON q.request_id = r.id JOIN item_stats s ON s.request_id = r.id
                        WHERE q.fid IS NOT NULL OR q.adherence IS NOT NULL
                        GROUP BY r.id, r.model, q.fid, q.fid_items, q.adherence, q.items_labelled
                        ORDER BY r.id DESC LIMIT ?""").param(limit)
                .query((rs, k) -> new QualityPoint(rs.getLong("id"), rs.getString("model"), rs.getString("sampler"),
                        rs.getInt("steps"), rs.getDouble("nfe"), (Double) rs.getObject("fid"), rs.getInt("fid_items"),
                        (Double) rs.getObject("adherence"), rs.getLong("items_labelled")))
                .list();
    }

    private static double d(Map<String, Object> r, String k) {
        return ((Number) r.get(k)).doubleValue();
    }

    private static RunSummary summary(ResultSet rs, int n) throws SQLException {
        int steps = rs.getInt("steps");
        Integer stepsOrNull = rs.wasNull() ? null : steps;
        return new RunSummary(rs.getLong("id"), rs.getString("client_request_id"), RunStatus.of(rs.getString("status")),
                rs.getString("model"), rs.getString("sampler"), stepsOrNull, rs.getLong("item_count"),
                rs.getLong("done"), rs.getLong("failed"), rs.getLong("cancelled"), instant(rs.getTimestamp("accepted_at")),
                instant(rs.getTimestamp("started_at")), instant(rs.getTimestamp("finished_at")),
                rs.getString("output_dir"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
