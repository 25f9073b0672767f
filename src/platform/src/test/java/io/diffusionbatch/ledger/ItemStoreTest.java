package io.diffusionbatch.ledger;

import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** COPY expansion into the real Postgres: exact text round trip, deduplication, idempotence, ranges. */
class ItemStoreTest {

    private final TestServer server = TestServer.get();

    private long newRequest() {
        // a request row that no worker runs: stored as finished, never waiting
        return server.jdbc().sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, "
                        + "source) VALUES (?, 'image', 'tiny', '{}', 0, 'completed', '/tmp/x', 'test') RETURNING id")
                .param(TestServer.uniqueId("store")).query(Long.class).single();
    }

    @Test
    void itemsAndPromptsSurviveCopyExactlyAndOnce() {
        long run = newRequest();
        String tricky = "tab\there, newline\nthere, CR\r, backslash \\N \\t, quote ' \" ; DROP TABLE items; -- ünï ✓ "
                + TestServer.uniqueId("p");
        List<NewItem> items = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            String prompt = i % 2 == 0 ? tricky : "plain prompt " + (i % 7);
            items.add(new NewItem(i, prompt, i % 5 == 0 ? "neg\t" + (i % 3) : null, 1000L + i,
                    i % 2 == 0 ? "{\"k\": \"v\\tw\"}" : null));
        }
        ItemStore store = server.bean(ItemStore.class);
        assertThat(store.expand(run, items::iterator)).isEqualTo(2500);
        assertThat(store.expand(run, items::iterator)).as("a restarted expand step writes nothing twice").isZero();
        assertThat(store.count(run)).isEqualTo(2500);

        ItemStore.PendingBatch whole = store.nextBatch(run, 10, 20, 100, "test", -1);
        assertThat(whole.more()).as("nothing after index 19 in [10, 20)").isFalse();
        List<PendingItem> range = whole.items();
        assertThat(range).extracting(PendingItem::index).containsExactly(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
        PendingItem ten = range.get(0);
        assertThat(ten.prompt()).isEqualTo(tricky);
        assertThat(ten.negativePrompt()).isEqualTo("neg\t1");
        assertThat(ten.seed()).isEqualTo(1010);
        assertThat(range.get(1).prompt()).isEqualTo("plain prompt 4");
        assertThat(range.get(1).negativePrompt()).isNull();
        ItemStore.PendingBatch first = store.nextBatch(run, 0, 2500, 7, "test", -1);
        assertThat(first.items()).extracting(PendingItem::index).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(first.more()).isTrue();
        assertThat(store.nextBatch(run, 2493, 2500, 7, "test", -1).more()).as("exactly a batch left: no more after it").isFalse();
        assertThat(store.nextBatch(run, 2493, 2500, 6, "test", -1).more()).isTrue();
        // claiming counts an attempt (committed at once); the item one past the batch is not claimed
        assertThat(server.jdbc().sql("SELECT idx, attempts FROM items WHERE request_id = ? AND idx IN (0, 6, 7, 10, 2493) "
                        + "ORDER BY idx").param(run).query((rs, k) -> rs.getLong(1) + ":" + rs.getInt(2)).list())
                .containsExactly("0:1", "6:1", "7:0", "10:1", "2493:2");

        assertThat(server.jdbc().sql("SELECT count(*) FROM prompts WHERE text = ?").param(tricky).query(Long.class).single())
                .isEqualTo(1);
        assertThat(server.jdbc().sql("SELECT labels->>'k' FROM items WHERE request_id = ? AND idx = 0").param(run)
                .query(String.class).single()).isEqualTo("v\tw");
        assertThat(store.countByStatus(run)).containsEntry(ItemStatus.PENDING, 2500L);
        server.jdbc().sql("UPDATE requests SET status = 'cancelling' WHERE id = ?").param(run).update();
        assertThat(store.nextBatch(run, 0, 2500, 10, "test", -1).items()).as("a run asked to stop gets no next batch").isEmpty();
        assertThat(store.cancelPending(run)).isEqualTo(2500);
        assertThat(store.nextBatch(run, 0, 2500, 10, "test", -1).items()).isEmpty();
    }
}
