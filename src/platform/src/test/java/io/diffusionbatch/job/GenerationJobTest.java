package io.diffusionbatch.job;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStats;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A request through the real Kafka broker, the real Postgres and ONNX Runtime, to files and rows. */
public class GenerationJobTest {

    private final TestServer server = TestServer.get();

    public static String request(String id, String model, int prompts, int seeds, int steps, int priority, String location) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < prompts; i++) {
            p.append(i == 0 ? "" : ", ").append("\"a photo of thing ").append(i).append("\"");
        }
        return """
                {"requestId": "%s", "kind": "image", "model": "%s",
                 "prompts": [%s],
                 "seeds": {"count": %d, "base": 100},
                 "params": {"sampler": "ddim", "steps": %d, "guidance": 3.0},
                 "output": {"location": "%s", "format": "png"},
                 "priority": %d, "labels": {"test": "job"}}
                """.formatted(id, model, p, seeds, steps, location, priority);
    }

    @Test
    void everyItemGetsOneOutputFileWithItsRowsAndTheRunItsFigures() throws Exception {
        String id = TestServer.uniqueId("job");
        server.send(id, request(id, "tiny", 5, 2, 6, 0, "jobs/" + id).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));

        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(run.itemCount()).isEqualTo(10);
        List<Map<String, Object>> items = server.jdbc().sql(
                "SELECT i.idx, i.seed, i.status, i.attempts, o.path, o.sha256, o.bytes, s.nfe, s.batch_size, "
                        + "s.batch_position, s.partition_name FROM items i JOIN outputs o USING (request_id, idx) "
                        + "JOIN item_stats s USING (request_id, idx) WHERE i.request_id = ? ORDER BY i.idx")
                .param(run.id()).query().listOfRows();
        assertThat(items).hasSize(10);
        Path dir = server.runDir(run);
        for (Map<String, Object> row : items) {
            long idx = (Long) row.get("idx");
            assertThat(row.get("status")).isEqualTo("done");
            assertThat(row.get("attempts")).isEqualTo(1);
            // prompt-major expansion: item i = prompt i / 2, seed 100 + i % 2
            assertThat(row.get("seed")).isEqualTo(100L + idx % 2);
            Path file = dir.resolve((String) row.get("path"));
            assertThat(file).exists();
            assertThat(ItemWriter.sha256(file)).isEqualTo(row.get("sha256"));
            assertThat(Files.size(file)).isEqualTo(row.get("bytes"));
            assertThat(row.get("nfe")).isEqualTo(12); // 6 steps × 2 (guidance 3 > 1)
        }
        // three partitions of 4, 3, 3 items, each micro-batched by 4
        assertThat(items.stream().map(r -> r.get("partition_name")).distinct()).hasSize(3);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(f -> f.toString().endsWith(".png")).count()).isEqualTo(10);
        }
        assertThat(dir.resolve(".staging")).as("the staging folder is removed at the end of the run").doesNotExist();

        // energy estimated from the configured watts (the test server asks for it), and marked so
        assertThat(server.jdbc().sql("SELECT DISTINCT energy_source FROM item_stats WHERE request_id = ?").param(run.id())
                .query(String.class).list()).containsExactly("estimated:30W");
        RunStats s = server.bean(RunStatsStore.class).find(run.id()).orElseThrow();
        assertThat(s.energyJoules()).isPositive();
        assertThat(s.energySource()).isEqualTo("estimated:30W");
        assertThat(s.itemsDone()).isEqualTo(10);
        assertThat(s.totalNfe()).isEqualTo(120);
        assertThat(s.itemsPerSecond()).isPositive();
        assertThat(server.bean(EventStore.class).of(run.id())).extracting(EventStore.Event::type)
                .containsSubsequence("started", "completed");
    }

    @Test
    void promptsAreStoredOnceAcrossRequests() {
        String a = TestServer.uniqueId("dedup");
        String b = TestServer.uniqueId("dedup");
        String prompt = "a prompt shared by two requests " + a;
        for (String id : List.of(a, b)) {
            server.send(id, ("""
                    {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["%s"],
                     "seeds": [1, 2], "params": {"steps": 2}, "output": {"location": "jobs/%s", "format": "png"}}
                    """.formatted(id, prompt, id)).getBytes(StandardCharsets.UTF_8));
        }
        server.awaitFinished(a, Duration.ofSeconds(60));
        server.awaitFinished(b, Duration.ofSeconds(60));
        assertThat(server.jdbc().sql("SELECT count(*) FROM prompts WHERE text = ?").param(prompt)
                .query(Long.class).single()).isEqualTo(1);
        assertThat(server.jdbc().sql("SELECT count(DISTINCT prompt_id) FROM items i JOIN requests r ON r.id = i.request_id "
                + "WHERE r.client_request_id IN (?, ?)").params(a, b).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void aVideoRequestWritesOneClipPerItem() throws Exception {
        String id = TestServer.uniqueId("video");
        server.send(id, ("""
                {"requestId": "%s", "kind": "video", "model": "tiny-video", "prompts": ["a ball moving left"],
                 "seeds": [3, 4], "params": {"sampler": "euler", "steps": 3, "fps": 4},
                 "output": {"location": "video/%s", "format": "gif"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).as(String.valueOf(run.message())).isEqualTo(RunStatus.COMPLETED);
        List<Map<String, Object>> outs = server.jdbc().sql("SELECT path, media_type FROM outputs WHERE request_id = ? ORDER BY idx")
                .param(run.id()).query().listOfRows();
        assertThat(outs).extracting(r -> r.get("media_type")).containsOnly("image/gif");
        byte[] head = Files.readAllBytes(server.runDir(run).resolve((String) outs.get(0).get("path")));
        assertThat(new String(head, 0, 6, StandardCharsets.US_ASCII)).isEqualTo("GIF89a");
    }
}
