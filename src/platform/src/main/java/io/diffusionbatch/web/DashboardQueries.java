package io.diffusionbatch.web;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The ledger reads the dashboard needs beyond the audit's. Thread-safe. */
public class DashboardQueries {

    /** An item of a contact sheet; {@code mediaType} is null when no output was written. */
    public record Cell(long index, String status, String prompt, long seed, String mediaType) {
    }

    /** Average seconds per written item of each stage; all zero when none was written. */
    public record StageTimes(long items, double tokenize, double textEncode, double denoise, double decode,
                             double write) {
    }

    /** An output file of an item: the absolute path and its media type. */
    public record OutputFile(Path path, String mediaType, long bytes) {
    }

    private static final String SUMMARY = """
            SELECT r.id, r.client_request_id, r.status, r.model, r.item_count, r.output_dir, r.accepted_at, r.started_at, r.finished_at,
                   COALESCE((SELECT s.sampler FROM item_stats s WHERE s.request_id = r.id ORDER BY s.idx LIMIT 1),
                            r.spec->'params'->>'sampler', 'default') AS sampler,
                   COALESCE((SELECT s.steps FROM item_stats s WHERE s.request_id = r.id ORDER BY s.idx LIMIT 1),
                            (r.spec->'params'->>'steps')::int) AS steps,
                   c.done, c.failed, c.cancelled
            FROM requests r CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE i.status = 'done') AS done,
                       count(*) FILTER (WHERE i.status = 'failed') AS failed,
                       count(*) FILTER (WHERE i.status = 'cancelled') AS cancelled
                FROM items i WHERE i.request_id = r.id) c
            """;

    private final JdbcClient jdbc;

    /** @param jdbc the ledger (not null) */
    public DashboardQueries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The newest {@code limit} runs, newest first, with their progress. */
    public List<RunSummary> latestRuns(int limit) {
        return jdbc.sql(SUMMARY + " ORDER BY r.id DESC LIMIT ?").param(limit).query(DashboardQueries::summary).list();
    }

    /** One run with its progress; empty when there is no such run. */
    public Optional<RunSummary> run(long id) {
        return jdbc.sql(SUMMARY + " WHERE r.id = ?").param(id).query(DashboardQueries::summary).optional();
    }

    /** Ids of the newest {@code limit} runs with at least one written item, newest first. */
    public List<Long> runsWithOutputs(int limit) {
        return jdbc.sql("SELECT r.id FROM requests r WHERE EXISTS (SELECT 1 FROM item_stats s WHERE s.request_id = r.id) "
                + "ORDER BY r.id DESC LIMIT ?").param(limit).query(Long.class).list();
    }

    /** Items with index in [from, to) of a run, with their output's media type where written. */
    public List<Cell> cells(long run, long from, long to) {
        return jdbc.sql("""
                        SELECT i.idx, i.status, p.text AS prompt, i.seed, o.media_type
                        FROM items i JOIN prompts p ON p.id = i.prompt_id
                        LEFT JOIN outputs o ON o.request_id = i.request_id AND o.idx = i.idx
                        WHERE i.request_id = ? AND i.idx >= ? AND i.idx < ? ORDER BY i.idx""")
                .params(run, from, to)
                .query((rs, k) -> new Cell(rs.getLong("idx"), rs.getString("status"), rs.getString("prompt"),
                        rs.getLong("seed"), rs.getString("media_type")))
                .list();
    }

    /** Average stage seconds per written item of a run (live while it runs). */
    public StageTimes stageTimes(long run) {
        Map<String, Object> r = jdbc.sql("""
                SELECT count(*) AS n, COALESCE(avg(tokenize_seconds), 0) AS tok, COALESCE(avg(text_encode_seconds), 0) AS enc,
                       COALESCE(avg(denoise_seconds), 0) AS den, COALESCE(avg(decode_seconds), 0) AS dec,
                       COALESCE(avg(write_seconds), 0) AS wri
                FROM item_stats WHERE request_id = ?""").param(run).query().singleRow();
        return new StageTimes(((Number) r.get("n")).longValue(), d(r, "tok"), d(r, "enc"), d(r, "den"), d(r, "dec"),
                d(r, "wri"));
    }

    /**
     * The output file of item {@code run/index} as the ledger records it: the outputs row's path
     * resolved inside the run's output folder. Empty when the item has no output, or when the
     * recorded path would leave the run's folder.
     */
    public Optional<OutputFile> outputFile(long run, long index) {
        return jdbc.sql("SELECT r.output_dir, o.path, o.media_type, o.bytes FROM outputs o JOIN requests r ON r.id = o.request_id "
                        + "WHERE o.request_id = ? AND o.idx = ?").params(run, index)
                .query((rs, k) -> {
                    Path dir = Path.of(rs.getString("output_dir")).toAbsolutePath().normalize();
                    Path file = dir.resolve(rs.getString("path")).normalize();
                    return Optional.of(new OutputFile(file, rs.getString("media_type"), rs.getLong("bytes")))
                            .filter(o -> o.path().startsWith(dir));
                })
                .optional().flatMap(o -> o);
    }

    private static double d(Map<String, Object> r, String k) {
        return ((Number) r.get(k)).doubleValue();
    }

    private static RunSummary summary(ResultSet rs, int n) throws SQLException {
        int steps = rs.getInt("steps");
        Integer stepsOrNull = rs.wasNull() ? null : steps;
        return new RunSummary(rs.getLong("id"), rs.getString("client_request_id"), rs.getString("status"),
                rs.getString("model"), rs.getString("sampler"), stepsOrNull, rs.getLong("item_count"),
                rs.getLong("done"), rs.getLong("failed"), rs.getLong("cancelled"), instant(rs.getTimestamp("accepted_at")),
                instant(rs.getTimestamp("started_at")), instant(rs.getTimestamp("finished_at")),
                rs.getString("output_dir"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
