package io.diffusionbatch.ledger;

import io.diffusionbatch.ledger.DatasetAudit.ItemPair;
import io.diffusionbatch.ledger.DatasetAudit.Night;
import io.diffusionbatch.ledger.DatasetAudit.Status;
import io.diffusionbatch.platform.TestServer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dataset reads on the real PostgreSQL, over rows written as intake and the export step write them: nights
 * with the status users see, lookups by run, request id and name/night, exclusions by reason, and the diff of two
 * nights' items.
 */
class DatasetAuditTest {

    private final TestServer server = TestServer.get();
    private final DatasetAudit audit = server.bean(DatasetAudit.class);
    private final DatasetFixture rows = new DatasetFixture(server.jdbc());

    @Test
    void nightsAreNewestFirstWithTheStatusUsersSee() {
        String name = TestServer.uniqueId("ds");
        long exported = rows.request(name, "2026-01-01", "completed", null);
        rows.exported(exported, name, "2026-01-01", "exported", true, null, "datasets/" + name + "/2026-01-01", "c".repeat(64));
        long gated = rows.request(name, "2026-01-02", "completed", null);
        rows.exported(gated, name, "2026-01-02", "failed", false, "rejected share 30 % over the limit 10 %", "d/2", "e".repeat(64));
        long pruned = rows.request(name, "2025-12-31", "completed", null);
        rows.exported(pruned, name, "2025-12-31", "pruned", true, null, "d/0", "f".repeat(64));
        long generating = rows.request(name, "2026-01-04", "running", null);
        long crashed = rows.request(name, "2026-01-03", "failed", "No space left on device");
        long cancelled = rows.request(name, "2026-01-05", "cancelled", null);

        List<Night> nights = audit.nights(name, 10);
        assertThat(nights).extracting(Night::run).containsExactly(cancelled, generating, crashed, gated, exported, pruned);
        assertThat(nights).extracting(Night::status).containsExactly(Status.FAILED, Status.GENERATING, Status.FAILED,
                Status.FAILED, Status.EXPORTED, Status.PRUNED);
        assertThat(audit.nights(name, 2)).hasSize(2);
        assertThat(audit.nights(null, 500)).extracting(Night::run).contains(exported, generating);
        assertThat(audit.nights(name + "-none", 10)).isEmpty();

        Night e = audit.night(exported).orElseThrow();
        assertThat(e.dataset()).isEqualTo(name);
        assertThat(e.night()).isEqualTo("2026-01-01");
        assertThat(e.spec()).isEqualTo("ab".repeat(32));
        assertThat(e.gatePassed()).isTrue();
        assertThat(e.itemsTotal()).isEqualTo(10);
        assertThat(e.itemsExported()).isEqualTo(8);
        assertThat(e.rejectedShare()).isEqualTo(0.1);
        assertThat(e.splits()).containsExactly(Map.entry("train", 7L), Map.entry("validation", 1L));
        assertThat(e.exportDir()).isEqualTo("datasets/" + name + "/2026-01-01");
        assertThat(e.message()).isNull();

        assertThat(audit.night(gated).orElseThrow().message()).contains("over the limit");
        Night g = audit.night(generating).orElseThrow();
        assertThat(g.exportDir()).isNull();
        assertThat(g.gatePassed()).isNull();
        assertThat(g.splits()).isEmpty();
        assertThat(g.spec()).hasSize(12).isEqualTo(g.requestId().substring(g.requestId().lastIndexOf(':') + 1));
        assertThat(audit.night(crashed).orElseThrow().message()).isEqualTo("the run failed before its export: No space left on device");
        assertThat(audit.night(cancelled).orElseThrow().message()).isEqualTo("the run was cancelled before its export");
    }

    @Test
    void aNightIsFoundByRunRequestIdOrItsLatestRequest() {
        String name = TestServer.uniqueId("ds");
        long first = rows.request(name, "2026-02-01", "failed", null);
        long second = rows.request(name, "2026-02-01", "running", null);
        assertThat(audit.latest(name, "2026-02-01")).map(Night::run).hasValue(second);
        assertThat(audit.latest(name, "2026-02-02")).isEmpty();
        String requestId = audit.night(first).orElseThrow().requestId();
        assertThat(requestId).startsWith("dataset:" + name + ":2026-02-01:");
        assertThat(audit.night(requestId)).map(Night::run).hasValue(first);
        assertThat(audit.night("dataset:nope")).isEmpty();
        long plain = server.jdbc().sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, "
                        + "output_dir, source) VALUES (?, 'image', 'tiny', '{}', 0, 'completed', 'x', 'test') RETURNING id")
                .param(TestServer.uniqueId("plain")).query(Long.class).single();
        assertThat(audit.night(plain)).as("a request that is no dataset's").isEmpty();
        assertThat(audit.night(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void exclusionsAreGroupedByReasonWithTheFirstDetails() {
        String name = TestServer.uniqueId("ds");
        long run = rows.request(name, "2026-03-01", "completed", null);
        rows.items(run, List.of("a", "b", "c", "d", "e"), Arrays.asList("1", "2", "3", "4", null));
        rows.exclude(run, 3, "gate-verdict", "colour: read blue, prompted red");
        rows.exclude(run, 0, "gate-verdict", "shape: read square, prompted circle");
        rows.exclude(run, 2, "gate-verdict", "size: read small, prompted large");
        rows.exclude(run, 4, "failed", "out of memory");
        assertThat(audit.exclusions(run, 2)).containsExactly(
                new DatasetAudit.Exclusions("failed", 1, List.of("#4 out of memory")),
                new DatasetAudit.Exclusions("gate-verdict", 3, List.of("#0 shape: read square, prompted circle",
                        "#2 size: read small, prompted large")));
        assertThat(audit.exclusions(run + 100_000, 2)).isEmpty();
    }

    @Test
    void twoNightsDifferInPromptsOutputsAndExclusions() {
        String name = TestServer.uniqueId("ds");
        String p = name + " prompt ";
        long a = rows.request(name, "2026-04-01", "completed", null);
        long b = rows.request(name, "2026-04-02", "completed", null);
        // same (prompt, seed) at 0..2; 3 differs in prompt; B's item 1 wrote other bytes; A's item 2 failed
        rows.items(a, List.of(p + "x", p + "y", p + "z", p + "only-a"), Arrays.asList("s0", "s1", null, "s3"));
        rows.items(b, List.of(p + "x", p + "y", p + "z", p + "only-b"), Arrays.asList("s0", "other", "s2", "s3"));
        rows.exclude(a, 2, "failed", "engine error");
        rows.exclude(b, 0, "gate-score", "adherence 0.2 below 0.5");

        assertThat(audit.promptsOnlyIn(a, b, 20)).isEqualTo(new DatasetAudit.Capped<>(1, List.of(p + "only-a")));
        assertThat(audit.promptsOnlyIn(b, a, 20)).isEqualTo(new DatasetAudit.Capped<>(1, List.of(p + "only-b")));
        assertThat(audit.promptsOnlyIn(a, a, 20)).isEqualTo(new DatasetAudit.Capped<>(0, List.of()));

        DatasetAudit.Capped<ItemPair> outputs = audit.outputsDiffer(a, b, 20);
        assertThat(outputs.total()).isEqualTo(2);
        assertThat(outputs.first()).containsExactly(new ItemPair(p + "y", 101, 1, 1, "s1", "other"),
                new ItemPair(p + "z", 102, 2, 2, null, "s2"));
        DatasetAudit.Capped<ItemPair> capped = audit.outputsDiffer(a, b, 1);
        assertThat(capped.total()).isEqualTo(2);
        assertThat(capped.first()).hasSize(1);

        DatasetAudit.Capped<ItemPair> excluded = audit.exclusionsDiffer(a, b, 20);
        assertThat(excluded.total()).isEqualTo(2);
        assertThat(excluded.first()).containsExactly(new ItemPair(p + "x", 100, 0, 0, null, "gate-score: adherence 0.2 below 0.5"),
                new ItemPair(p + "z", 102, 2, 2, "failed: engine error", null));
    }

    @Test
    void aPromptAndSeedThatANightHasTwiceAreMatchedFirstWithFirst() {
        String name = TestServer.uniqueId("ds");
        long a = rows.request(name, "2026-05-01", "completed", null);
        long b = rows.request(name, "2026-05-02", "completed", null);
        // two templates making one text: items 0 and 1 of each night share (prompt, seed), with the same outputs
        rows.items(a, List.of(name + " twice", name + " twice"), List.of("t0", "t1"));
        rows.items(b, List.of(name + " twice", name + " twice"), List.of("t0", "t1"));
        JdbcClient jdbc = TestServer.get().jdbc();
        jdbc.sql("UPDATE items SET seed = 7 WHERE request_id IN (?, ?)").params(a, b).update();
        assertThat(audit.outputsDiffer(a, b, 20).total()).as("no cross product of the repeats").isZero();
        jdbc.sql("UPDATE outputs SET sha256 = 'changed' WHERE request_id = ? AND idx = 1").param(b).update();
        assertThat(audit.outputsDiffer(a, b, 20).first()).containsExactly(new ItemPair(name + " twice", 7, 1, 1, "t1",
                "changed"));
    }
}
