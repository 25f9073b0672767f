package io.diffusionbatch.audit;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every item of a run made in three partitions and micro-batches of four is made again alone from
 * its rows, with the same SHA-256.
 */
class ReproducerTest {

    private final TestServer server = TestServer.get();

    @Test
    void everyItemOfARunIsReproducedBitForBitFromItsRows(@TempDir Path scratch) {
        String id = TestServer.uniqueId("repro");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny",
                 "prompts": [{"prompt": "a red cube", "negative": "blurry"}, "a blue cone", "a green ring"],
                 "seeds": {"count": 3, "base": 40}, "params": {"sampler": "euler-a", "steps": 5, "guidance": 4.5},
                 "output": {"location": "repro/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        List<Long> items = server.bean(ItemAudit.class).writtenItems(run.id());
        assertThat(items).hasSize(9);
        assertThat(server.jdbc().sql("SELECT count(DISTINCT partition_name) * 100 + count(DISTINCT batch_position) "
                + "FROM item_stats WHERE request_id = ?").param(run.id()).query(Long.class).single())
                .as("items came from 3 partitions and several batch positions").isGreaterThanOrEqualTo(303);

        Reproducer reproducer = server.bean(Reproducer.class);
        for (long idx : items) {
            Reproducer.Result r = reproducer.reproduce(new ItemRef(run.id(), idx), scratch);
            assertThat(r.matches()).as("item " + idx + ": " + r).isTrue();
            assertThat(r.modelMatches()).isTrue();
        }
        ItemRecord first = server.bean(ItemAudit.class).find(new ItemRef(run.id(), 0)).orElseThrow();
        assertThat(first.negativePrompt()).isEqualTo("blurry");
        assertThat(first.seed()).isEqualTo(40);

        // a stored hash that does not match is reported, not hidden
        server.jdbc().sql("UPDATE outputs SET sha256 = 'tampered' WHERE request_id = ? AND idx = 4").param(run.id()).update();
        assertThat(reproducer.reproduce(new ItemRef(run.id(), 4), scratch).matches()).isFalse();
        assertThatThrownBy(() -> reproducer.reproduce(new ItemRef(run.id(), 99), scratch)).hasMessageContaining("no item");
    }

    @Test
    void itemReferencesAreRunSlashIndex() {
        assertThat(ItemRef.parse("12/407")).isEqualTo(new ItemRef(12, 407));
        assertThat(ItemRef.parse("12/407").toString()).isEqualTo("12/407");
        for (String bad : new String[]{"12", "a/b", "0/1", "3/-1", "1/2/3", ""}) {
            assertThatThrownBy(() -> ItemRef.parse(bad)).hasMessageContaining("RUN/INDEX");
        }
    }
}
