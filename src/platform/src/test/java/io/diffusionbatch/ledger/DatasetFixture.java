package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.util.List;

/**
 * Dataset nights written straight into a ledger, as intake and the export step would write them: a request with
 * the dataset's labels and id, its items with outputs, its {@code dataset_nights} row and exclusions. For tests.
 */
public final class DatasetFixture {

    private final JdbcClient jdbc;

    public DatasetFixture(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * A dataset request of {@code dataset} for {@code night} in run status {@code status}, its spec hash random (so
     * its id {@code dataset:NAME:NIGHT:HASH12} is new), held by another instance (the test server's dispatcher
     * leaves it alone); its run id.
     */
    public long request(String dataset, String night, String status, String message) {
        String hash = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        return jdbc.sql("""
                        INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, source,
                                              labels, message, owner, lease_until)
                        VALUES (?, 'image', 'tiny', '{}', 0, ?, 'datasets/x', 'test',
                                jsonb_build_object('dataset', ?, 'dataset.night', ?, 'dataset.spec', ?), ?,
                                'elsewhere:1:manager', now() + interval '1 day')
                        RETURNING id""")
                .params("dataset:" + dataset + ":" + night + ":" + hash, status, dataset, night, hash, message)
                .query(Long.class).single();
    }

    /**
     * Items {@code 0..} of a run, item i with prompt {@code prompts[i]}, seed {@code 100 + i}, status done and an
     * output whose SHA-256 is {@code shas[i]} (none where it is null, the item then failed).
     */
    public void items(long run, List<String> prompts, List<String> shas) {
        for (int i = 0; i < prompts.size(); i++) {
            String text = prompts.get(i);
            jdbc.sql("INSERT INTO prompts (text) VALUES (?) ON CONFLICT ((md5(text))) DO NOTHING").param(text).update();
            long prompt = jdbc.sql("SELECT id FROM prompts WHERE md5(text) = md5(?)").param(text).query(Long.class).single();
            String sha = shas.get(i);
            jdbc.sql("INSERT INTO items (request_id, idx, prompt_id, seed, status) VALUES (?, ?, ?, ?, ?)")
                    .params(run, i, prompt, 100 + i, sha == null ? "failed" : "done").update();
            if (sha != null) {
                jdbc.sql("INSERT INTO outputs (request_id, idx, path, sha256, media_type, bytes) VALUES (?, ?, ?, ?, "
                        + "'image/png', 10)").params(run, i, i + ".png", sha).update();
            }
        }
        jdbc.sql("UPDATE requests SET item_count = ? WHERE id = ?").params(prompts.size(), run).update();
    }

    /** The night's export row: {@code status} exported, failed or pruned; 10 items, 1 rejected, 1 missing. */
    public void exported(long run, String dataset, String night, String status, boolean gatePassed, String message,
                         String exportDir, String cardSha256) {
        jdbc.sql("""
                        INSERT INTO dataset_nights (request_id, dataset, night, spec_sha256, status, gate_passed, message,
                            items_total, items_exported, items_rejected, items_missing, splits, export_dir, card_sha256,
                            files, bytes, export_seconds)
                        VALUES (?, ?, ?::date, ?, ?, ?, ?, 10, 8, 1, 1, '{"train": 7, "validation": 1}', ?, ?, 12, 4096, 0.5)""")
                .params(run, dataset, night, "ab".repeat(32), status, gatePassed, message, exportDir, cardSha256).update();
    }

    /** Item {@code index} of a run left out of its export. */
    public void exclude(long run, long index, String reason, String detail) {
        jdbc.sql("INSERT INTO dataset_exclusions (request_id, idx, reason, detail) VALUES (?, ?, ?, ?)")
                .params(run, index, reason, detail).update();
    }
}
