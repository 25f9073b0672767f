package io.diffusionbatch.ledger;

import io.diffusionbatch.engine.json.Json;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ledger's reads of nightly datasets: the nights (the requests labelled {@code dataset}, with their
 * {@code dataset_nights} row once exported), the items a night's export left out, and what differs between two
 * nights' items. Read-only; arguments and results are never null (absent rows give empty results), nullable
 * components are marked. Thread-safe (stateless over the pooled connection).
 */
@Repository
@NullMarked
public class DatasetAudit {

    /** A night's state for users. */
    public enum Status {
        /** The request is accepted or running; nothing exported yet. */
        GENERATING,
        /** Exported, and the quality gate passed. */
        EXPORTED,
        /** The quality gate failed the export (kept, flagged), or the run failed or was cancelled without one. */
        FAILED,
        /** Exported once; retention deleted its files since. */
        PRUNED;

        /** The lower-case name shown to users. */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One night of a dataset: its request and, once exported, its export.
     *
     * @param run        the request's (run's) id
     * @param requestId  its client request id ({@code dataset:NAME:NIGHT:HASH12})
     * @param night      {@code YYYY-MM-DD}
     * @param spec       the spec's SHA-256 as the export recorded it, else the 12 hex digits of the request's label
     * @param message    why the night failed; null otherwise
     * @param gatePassed null until exported
     * @param splits     split to items exported in it, in the export's order (train, validation, test); empty until
     *                   exported
     * @param exportDir  relative to the output root; null until exported
     * @param cardSha256 SHA-256 of the export's {@code README.md}; null until exported
     */
    public record Night(long run, String requestId, String dataset, String night, String spec, Status status,
                        @Nullable String message, @Nullable Boolean gatePassed, long itemsTotal, long itemsExported,
                        long itemsRejected, long itemsMissing, Map<String, Long> splits, @Nullable String exportDir,
                        @Nullable String cardSha256, Instant acceptedAt) {

        /** Items left out by the quality gate over all items; NaN when the night has none. */
        public double rejectedShare() {
            return itemsTotal == 0 ? Double.NaN : (double) itemsRejected / itemsTotal;
        }
    }

    /** The exclusions of a night for one reason: how many, and the first few as {@code #INDEX detail}. */
    public record Exclusions(String reason, long count, List<String> first) {
    }

    /** The first rows of a longer listing and how many there are in all. */
    public record Capped<T>(long total, List<T> first) {
    }

    /**
     * An item of night A and the item of night B with the same prompt and seed, with what differs.
     *
     * @param a the SHA-256 of A's output, or A's exclusion ({@code reason: detail}); null: none
     * @param b the same of B's item
     */
    public record ItemPair(String prompt, long seed, long indexA, long indexB, @Nullable String a, @Nullable String b) {
    }

    private static final TypeReference<LinkedHashMap<String, Long>> SPLITS = new TypeReference<>() {
    };
    private static final java.util.List<String> SPLIT_ORDER = java.util.List.of("train", "validation", "test");

    /** JSONB keeps an object's keys in its own order: the splits as the export writes them, train first. */
    private static Map<String, Long> inExportOrder(Map<String, Long> splits) {
        Map<String, Long> out = new LinkedHashMap<>();
        SPLIT_ORDER.forEach(s -> {
            if (splits.containsKey(s)) {
                out.put(s, splits.get(s));
            }
        });
        splits.forEach(out::putIfAbsent);
        return out;
    }

    private static final String NIGHTS = """
            SELECT r.id, r.client_request_id, r.status AS run_status, r.message AS run_message, r.item_count,
                   r.accepted_at, r.labels->>'dataset' AS dataset,
                   COALESCE(n.night::text, r.labels->>'dataset.night') AS night,
                   COALESCE(n.spec_sha256, r.labels->>'dataset.spec') AS spec,
                   n.status, n.message, n.gate_passed, n.items_total, n.items_exported, n.items_rejected,
                   n.items_missing, n.splits::text AS splits, n.export_dir, n.card_sha256
            FROM requests r LEFT JOIN dataset_nights n ON n.request_id = r.id
            WHERE r.labels->>'dataset' IS NOT NULL
            """;

    /** A night's items: prompt text, seed, index, output SHA-256 and exclusion. */
    private static final String ITEMS = """
            SELECT p.text, i.seed, i.idx, o.sha256, e.reason || ': ' || e.detail AS excluded,
                   row_number() OVER (PARTITION BY p.text, i.seed ORDER BY i.idx) AS nth
            FROM items i JOIN prompts p ON p.id = i.prompt_id
                 LEFT JOIN outputs o ON o.request_id = i.request_id AND o.idx = i.idx
                 LEFT JOIN dataset_exclusions e ON e.request_id = i.request_id AND e.idx = i.idx
            WHERE i.request_id = ?
            """;

    private final JdbcClient jdbc;

    /** @param jdbc the ledger */
    public DatasetAudit(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The newest nights first (by night, then run), of one dataset or of all.
     *
     * @param dataset a dataset's name, or null for every dataset
     * @param limit   at most this many, >= 1
     */
    public List<Night> nights(@Nullable String dataset, int limit) {
        return jdbc.sql(NIGHTS + " AND (CAST(? AS text) IS NULL OR r.labels->>'dataset' = ?)"
                        + " ORDER BY night DESC, r.id DESC LIMIT ?")
                .params(dataset, dataset, limit).query(DatasetAudit::night).list();
    }

    /** The night of a run; empty when there is no such run or it is no dataset's. */
    public Optional<Night> night(long run) {
        return jdbc.sql(NIGHTS + " AND r.id = ?").param(run).query(DatasetAudit::night).optional();
    }

    /** The night of a client request id ({@code dataset:…}); empty when there is none. */
    public Optional<Night> night(String clientRequestId) {
        return jdbc.sql(NIGHTS + " AND r.client_request_id = ?").param(clientRequestId).query(DatasetAudit::night)
                .optional();
    }

    /** The latest request (highest run id) of a dataset for a night ({@code YYYY-MM-DD}); empty when none. */
    public Optional<Night> latest(String dataset, String night) {
        return jdbc.sql(NIGHTS + " AND r.labels->>'dataset' = ? AND r.labels->>'dataset.night' = ? ORDER BY r.id DESC"
                        + " LIMIT 1").params(dataset, night).query(DatasetAudit::night).optional();
    }

    /** A night's exclusions by reason (alphabetical), each with its {@code first} lowest indexes. */
    public List<Exclusions> exclusions(long run, int first) {
        return jdbc.sql("""
                        SELECT reason, count(*) AS n, (array_agg('#' || idx || ' ' || detail ORDER BY idx))[1:?] AS firsts
                        FROM dataset_exclusions WHERE request_id = ? GROUP BY reason ORDER BY reason""")
                .params(first, run).query((rs, i) -> new Exclusions(rs.getString("reason"), rs.getLong("n"),
                        List.of((String[]) rs.getArray("firsts").getArray()))).list();
    }

    /** Prompt texts of night {@code a}'s items that no item of night {@code b} has, in text order. */
    public Capped<String> promptsOnlyIn(long a, long b, int first) {
        List<String> texts = new ArrayList<>();
        long total = capped("""
                        WITH d AS (SELECT p.text FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.request_id = ?
                                   EXCEPT
                                   SELECT p.text FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.request_id = ?)
                        SELECT text, count(*) OVER () AS total FROM d ORDER BY text LIMIT ?""",
                rs -> texts.add(rs.getString("text")), a, b, first);
        return new Capped<>(total, texts);
    }

    /**
     * Items of the two nights with the same prompt and seed whose outputs' SHA-256 differ (or that only one wrote),
     * in A's index order; a (prompt, seed) that a night has more than once (two templates making one text) is
     * matched in index order, first with first.
     */
    public Capped<ItemPair> outputsDiffer(long a, long b, int first) {
        return pairs("a.sha256 IS DISTINCT FROM b.sha256", "sha256", a, b, first);
    }

    /** Items of the two nights with the same prompt and seed left out of one export and not of the other. */
    public Capped<ItemPair> exclusionsDiffer(long a, long b, int first) {
        return pairs("(a.excluded IS NULL) <> (b.excluded IS NULL)", "excluded", a, b, first);
    }

    private Capped<ItemPair> pairs(String differ, String column, long a, long b, int first) {
        List<ItemPair> pairs = new ArrayList<>();
        long total = capped("WITH a AS (" + ITEMS + "), b AS (" + ITEMS + ")"
                        + " SELECT a.text, a.seed, a.idx AS idx_a, b.idx AS idx_b, a." + column + " AS va, b." + column
                        + " AS vb, count(*) OVER () AS total FROM a JOIN b ON a.text = b.text AND a.seed = b.seed"
                        // the n-th item of a (prompt, seed) in A with the n-th in B: no cross product of repeats
                        + " AND a.nth = b.nth"
                        + " WHERE " + differ + " ORDER BY a.idx, b.idx LIMIT ?",
                rs -> pairs.add(new ItemPair(rs.getString("text"), rs.getLong("seed"), rs.getLong("idx_a"),
                        rs.getLong("idx_b"), rs.getString("va"), rs.getString("vb"))), a, b, first);
        return new Capped<>(total, pairs);
    }

    /** Runs a query whose rows carry {@code total} (a window count); gives each row to {@code row}; the total. */
    private long capped(String sql, RowConsumer row, Object... params) {
        long[] total = {0};
        jdbc.sql(sql).params(params).query(rs -> {
            total[0] = rs.getLong("total");
            row.accept(rs);
        });
        return total[0];
    }

    @FunctionalInterface
    private interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    private static Night night(ResultSet rs, int row) throws SQLException {
        String exported = rs.getString("status");
        String runStatus = rs.getString("run_status");
        Status status;
        String message;
        if (exported != null) {
            status = Status.valueOf(exported.toUpperCase(java.util.Locale.ROOT));
            message = rs.getString("message");
        } else if (runStatus.equals("failed") || runStatus.equals("cancelled")) {
            status = Status.FAILED;
            String why = rs.getString("run_message");
            message = "the run " + (runStatus.equals("failed") ? "failed" : "was cancelled") + " before its export"
                    + (why == null ? "" : ": " + why);
        } else if (runStatus.equals("completed")) {
            status = Status.FAILED;
            message = "the run completed but no export was recorded";
        } else {
            status = Status.GENERATING;
            message = null;
        }
        String splits = rs.getString("splits");
        boolean hasRow = exported != null;
        return new Night(rs.getLong("id"), rs.getString("client_request_id"), rs.getString("dataset"),
                String.valueOf(rs.getString("night")), String.valueOf(rs.getString("spec")), status, message,
                hasRow ? rs.getBoolean("gate_passed") : null,
                hasRow ? rs.getLong("items_total") : rs.getLong("item_count"),
                rs.getLong("items_exported"), rs.getLong("items_rejected"), rs.getLong("items_missing"),
                splits == null ? Map.of() : inExportOrder(Json.MAPPER.readValue(splits, SPLITS)),
                rs.getString("export_dir"),
                rs.getString("card_sha256"), rs.getTimestamp("accepted_at").toInstant());
    }
}
