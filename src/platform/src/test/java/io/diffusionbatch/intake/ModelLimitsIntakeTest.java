package io.diffusionbatch.intake;

import io.diffusionbatch.platform.TestServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On the real broker: requests the model cannot make (a width that is not a multiple of its VAE factor, a size other
 * than the one its graph fixes, 8192 × 8192) and a tombstone are refused at intake, found on the dead-letter topic
 * and in {@code rejected_inputs} with the field and the rule, and no run is created for them.
 */
class ModelLimitsIntakeTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final TestServer server = TestServer.get();

    /** A request for {@code tiny} (tiny-sd: 8 × 8 latents, VAE factor 4, so 32 × 32 only) with these params. */
    private static String request(String id, String params) {
        return """
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a cat"],
                 "seeds": [7], "params": %s, "output": {"location": "limits/%s", "format": "png"}}
                """.formatted(id, params, id);
    }

    @Test
    void sizesTheModelCannotMakeAreDeadLetteredWithFieldAndRule() {
        Map<String, String[]> cases = new LinkedHashMap<>(); // id → payload, field, rule
        String id = TestServer.uniqueId("width7");
        cases.put(id, new String[] {request(id, "{\"steps\": 2, \"width\": 7}"), "params.width", "model-size"});
        id = TestServer.uniqueId("not-fixed");
        cases.put(id, new String[] {request(id, "{\"steps\": 2, \"height\": 64}"), "params.height", "model-size"});
        id = TestServer.uniqueId("huge");
        cases.put(id, new String[] {request(id, "{\"steps\": 2, \"width\": 8192, \"height\": 8192}"), "params.width",
                "model-size"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            server.send(c.getKey(), c.getValue()[0].getBytes(StandardCharsets.UTF_8));
        }
        List<ConsumerRecord<String, byte[]>> dead = server.records(server.props().kafka().deadLetterTopic(),
                cases.keySet(), Duration.ofSeconds(120));
        for (ConsumerRecord<String, byte[]> rec : dead) {
            String[] c = cases.get(rec.key());
            assertThat(new String(rec.value(), StandardCharsets.UTF_8)).isEqualTo(c[0]);
            JsonNode reasons = JSON.readTree(rec.headers().lastHeader("diffusion.reasons").value());
            assertThat(reasons).as(rec.key() + " " + reasons).anySatisfy(r -> {
                assertThat(r.path("field").asString()).isEqualTo(c[1]);
                assertThat(r.path("rule").asString()).isEqualTo(c[2]);
                assertThat(r.path("message").asString()).contains("tiny-sd");
            });
            String stored = server.jdbc().sql("SELECT reasons::text FROM rejected_inputs WHERE client_request_id = ?")
                    .param(rec.key()).query(String.class).single();
            assertThat(stored).contains("\"" + c[1] + "\"").contains("\"" + c[2] + "\"");
        }
        assertThat(server.jdbc().sql("SELECT count(*) FROM requests WHERE client_request_id IN (:ids)")
                .param("ids", List.copyOf(cases.keySet())).query(Long.class).single()).isZero();
    }

    @Test
    void aTombstoneStaysNullOnTheDeadLetterTopicAndIsRecordedAsSuch() {
        String key = TestServer.uniqueId("tombstone");
        String empty = TestServer.uniqueId("empty");
        server.send(key, null);
        server.send(empty, new byte[0]);
        Map<String, ConsumerRecord<String, byte[]>> byKey = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : server.records(server.props().kafka().deadLetterTopic(),
                Set.of(key, empty), Duration.ofSeconds(120))) {
            byKey.put(r.key(), r);
        }
        ConsumerRecord<String, byte[]> tomb = byKey.get(key);
        assertThat(tomb.value()).isNull();
        assertThat(tomb.headers().lastHeader(RequestConsumer.NULL_VALUE_HEADER).value())
                .isEqualTo("true".getBytes(StandardCharsets.UTF_8));
        JsonNode reasons = JSON.readTree(tomb.headers().lastHeader("diffusion.reasons").value());
        assertThat(reasons).singleElement().satisfies(r -> {
            assertThat(r.path("field").asString()).isEqualTo("$");
            assertThat(r.path("rule").asString()).isEqualTo("null-value");
            assertThat(r.path("message").asString()).contains("tombstone");
        });
        long id = Long.parseLong(new String(tomb.headers().lastHeader("diffusion.rejection-id").value(),
                StandardCharsets.UTF_8));
        Map<String, Object> row = server.jdbc().sql("SELECT reasons::text AS reasons, octet_length(payload) AS n,"
                + " source FROM rejected_inputs WHERE id = ?").param(id).query().singleRow();
        assertThat((String) row.get("reasons")).contains("\"null-value\"").contains("tombstone");
        assertThat(((Number) row.get("n")).intValue()).isZero();
        assertThat((String) row.get("source")).startsWith("kafka:" + server.props().kafka().requestsTopic() + "/");

        // an empty value is a different input: kept as an empty value, refused as empty JSON
        ConsumerRecord<String, byte[]> blank = byKey.get(empty);
        assertThat(blank.value()).isNotNull().isEmpty();
        assertThat(blank.headers().lastHeader(RequestConsumer.NULL_VALUE_HEADER)).isNull();
        assertThat(new String(blank.headers().lastHeader("diffusion.reasons").value(), StandardCharsets.UTF_8))
                .contains("\"json\"").doesNotContain("null-value");
    }
}
