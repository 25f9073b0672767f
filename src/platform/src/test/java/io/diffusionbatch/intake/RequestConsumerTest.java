package io.diffusionbatch.intake;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input on the real broker: each refused request lands on the dead-letter topic with its
 * reasons (field and rule) and in rejected_inputs with its exact bytes; the consumer goes on, and
 * the next valid request is accepted and runs.
 */
class RequestConsumerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final TestServer server = TestServer.get();

    private static String valid(String id, String prompt, String location) {
        return """
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": [%s],
                 "seeds": [7], "params": {"sampler": "euler", "steps": 3},
                 "output": {"location": "%s", "format": "png"}}
                """.formatted(id, JSON.writeValueAsString(prompt), location);
    }

    /** A case: the bytes to send, and the field and rules its refusal must name. */
    private record Bad(byte[] payload, String field, Set<String> rules) {
        Bad(String payload, String field, Set<String> rules) {
            this(payload.getBytes(StandardCharsets.UTF_8), field, rules);
        }
    }

    @Test
    void badInputIsDeadLetteredAndRecordedAndTheNextRequestStillRuns() throws Exception {
        Path outside = Files.createTempDirectory("outside-root");
        Files.createDirectories(server.outputRoot());
        Path link = server.outputRoot().resolve("link-" + TestServer.uniqueId("l"));
        Files.createSymbolicLink(link, outside);

        Map<String, Bad> cases = new LinkedHashMap<>();
        cases.put(TestServer.uniqueId("malformed"), new Bad("{\"requestId\": \"x\", \"kind\": ", "$", Set.of("json")));
        byte[] latin1 = valid("latin1", "caf\u00e9", "x").getBytes(StandardCharsets.ISO_8859_1);
        cases.put(TestServer.uniqueId("non-utf8"), new Bad(latin1, "$", Set.of("utf8")));
        String id;
        id = TestServer.uniqueId("model");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"tiny\"", "\"no-such-model\""), "model", Set.of("unknown-model")));
        id = TestServer.uniqueId("sampler");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("euler", "magic"), "params.sampler", Set.of("unknown-sampler")));
        id = TestServer.uniqueId("steps");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"steps\": 3", "\"steps\": 0"), "params.steps", Set.of("range")));
        id = TestServer.uniqueId("guidance");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"steps\": 3", "\"steps\": 3, \"guidance\": -2"),
                "params.guidance", Set.of("range")));
        id = TestServer.uniqueId("size");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"steps\": 3", "\"steps\": 3, \"width\": 100000"),
                "params.width", Set.of("range")));
        id = TestServer.uniqueId("frames");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"steps\": 3", "\"steps\": 3, \"frames\": 8"),
                "params.frames", Set.of("video-only")));
        id = TestServer.uniqueId("items");
        cases.put(id, new Bad(valid(id, "a cat", "x").replace("\"seeds\": [7]", "\"seeds\": {\"count\": 9000000, \"base\": 0}")
                .replace("[\"a cat\"]", "[\"a cat\", \"a dog\"]"), "$", Set.of("too-many-items")));
        id = TestServer.uniqueId("huge-prompt");
        cases.put(id, new Bad(valid(id, "a".repeat(1 << 20), "x"), "prompts[0]", Set.of("too-long")));
        id = TestServer.uniqueId("dotdot");
        cases.put(id, new Bad(valid(id, "a cat", "../../etc"), "output.location", Set.of("invalid-path", "escapes-output-root")));
        id = TestServer.uniqueId("absolute");
        cases.put(id, new Bad(valid(id, "a cat", "/tmp/x"), "output.location", Set.of("invalid-path", "escapes-output-root")));
        id = TestServer.uniqueId("symlink");
        cases.put(id, new Bad(valid(id, "a cat", link.getFileName() + "/x"), "output.location", Set.of("escapes-output-root")));

        for (Map.Entry<String, Bad> c : cases.entrySet()) {
            server.send(c.getKey(), c.getValue().payload());
        }
        String sql = TestServer.uniqueId("sql");
        String sqlPrompt = "a cat'); DROP TABLE items; -- \" \\\\ ";
        server.send(sql, valid(sql, sqlPrompt, "ok/" + sql).getBytes(StandardCharsets.UTF_8));

        List<ConsumerRecord<String, byte[]>> dead = server.records(server.props().kafka().deadLetterTopic(),
                cases.keySet(), Duration.ofSeconds(120));
        for (ConsumerRecord<String, byte[]> rec : dead) {
            Bad bad = cases.get(rec.key());
            assertThat(rec.value()).as(rec.key()).isEqualTo(bad.payload());
            JsonNode reasons = JSON.readTree(rec.headers().lastHeader("diffusion.reasons").value());
            assertThat(reasons).as(rec.key() + " " + reasons).anySatisfy(r -> {
                assertThat(r.path("field").asString()).isEqualTo(bad.field());
                assertThat(bad.rules()).contains(r.path("rule").asString());
                assertThat(r.path("message").asString()).isNotBlank();
            });
            long rejection = Long.parseLong(new String(rec.headers().lastHeader("diffusion.rejection-id").value(),
                    StandardCharsets.UTF_8));
            byte[] stored = server.jdbc().sql("SELECT payload FROM rejected_inputs WHERE id = ?").param(rejection)
                    .query(byte[].class).single();
            assertThat(stored).as(rec.key()).isEqualTo(bad.payload());
        }
        assertThat(server.jdbc().sql("SELECT count(*) FROM requests WHERE client_request_id IN (:ids)")
                .param("ids", List.copyOf(cases.keySet())).query(Long.class).single()).isZero();

        // the SQL-looking prompt is data: accepted, stored and rendered verbatim; the tables are intact
        RequestRow run = server.awaitFinished(sql, Duration.ofSeconds(60));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(server.jdbc().sql("SELECT p.text FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.request_id = ?")
                .param(run.id()).query(String.class).single()).isEqualTo(sqlPrompt);
    }

    @Test
    void aDuplicateRequestIdReportsTheExistingRunAndCreatesNoSecond() {
        String id = TestServer.uniqueId("dup");
        byte[] payload = valid(id, "a dog", "dup/" + id).getBytes(StandardCharsets.UTF_8);
        server.send(id, payload);
        RequestRow first = server.awaitFinished(id, Duration.ofSeconds(60));
        server.send(id, payload);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (server.bean(EventStore.class).of(first.id()).stream().noneMatch(e -> e.type().equals("duplicate"))) {
            assertThat(System.nanoTime()).as("duplicate event").isLessThan(deadline);
            TestServer.sleep(100);
        }
        assertThat(server.jdbc().sql("SELECT count(*) FROM requests WHERE client_request_id = ?").param(id)
                .query(Long.class).single()).isEqualTo(1);
        assertThat(server.jdbc().sql("SELECT count(*) FROM items WHERE request_id = ?").param(first.id())
                .query(Long.class).single()).isEqualTo(1);
        assertThat(server.jdbc().sql("SELECT reasons::text FROM rejected_inputs WHERE client_request_id = ?").param(id)
                .query(String.class).single()).contains("duplicate-request-id").contains("run " + first.id());
    }
}
