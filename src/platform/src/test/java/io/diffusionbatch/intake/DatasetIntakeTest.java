package io.diffusionbatch.intake;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.NightExpansion;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.request.RequestLimits;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-made dataset nights on the real broker: a request with a {@code dataset} field is accepted only when it is
 * what its spec makes for its night; one whose folder, prompts or labels differ, whose spec is not JSON, or an
 * ordinary request wearing dataset labels is refused with the field and the rule, and no run is created (retention
 * deletes a night's folders: a night must not name another's).
 */
class DatasetIntakeTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final TestServer server = TestServer.get();

    private DatasetSpec spec(String name) throws Exception {
        ModelRegistry models = server.bean(ModelRegistry.class);
        return new DatasetSpecParser(models, m -> models.evaluator(m).isPresent(), server.bean(RequestLimits.class))
                .parse(("""
                        name: %s
                        model: tiny
                        templates: ["a red circle", "a blue square"]
                        params: {steps: 2, guidance: 1.0}
                        retention: {keep: 1}
                        """.formatted(name)).getBytes(StandardCharsets.UTF_8));
    }

    private static String sha(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aNightMustBeWhatItsSpecMakesForIt() throws Exception {
        String name = "intake-" + Long.toString(System.nanoTime(), 36);
        DatasetSpec spec = spec(name);
        LocalDate night = LocalDate.of(2026, 4, 1);
        Map<String, String[]> cases = new LinkedHashMap<>(); // key → payload, field, rule

        ObjectNode another = (ObjectNode) JSON.readTree(NightExpansion.requestJson(spec, night.plusDays(1)));
        another.withObjectProperty("output").put("location", "datasets/shapes-nightly"); // another dataset's folder
        cases.put(another.get("requestId").asString(), new String[] {another.toString(), "output", "dataset-mismatch"});

        ObjectNode prompts = (ObjectNode) JSON.readTree(NightExpansion.requestJson(spec, night.plusDays(2)));
        prompts.withArray("prompts").add(JSON.createObjectNode().put("prompt", "something else"));
        cases.put(prompts.get("requestId").asString(), new String[] {prompts.toString(), "prompts", "dataset-mismatch"});

        ObjectNode broken = (ObjectNode) JSON.readTree(NightExpansion.requestJson(spec, night.plusDays(3)));
        broken.withObjectProperty("dataset").put("spec", "{").put("specSha256", sha("{"));
        cases.put(broken.get("requestId").asString(), new String[] {broken.toString(), "dataset.spec", "json"});

        ObjectNode forged = (ObjectNode) JSON.readTree(NightExpansion.requestJson(spec, night.plusDays(4)));
        forged.withObjectProperty("dataset").put("specSha256", "0".repeat(64));
        cases.put(forged.get("requestId").asString(), new String[] {forged.toString(), "dataset.specSha256", "checksum"});

        String plain = TestServer.uniqueId("labelled");
        cases.put(plain, new String[] {"""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a cat"], "params": {"steps": 2},
                 "output": {"location": "plain/%s", "format": "png"},
                 "labels": {"dataset": "%s", "dataset.night": "2026-04-09"}}""".formatted(plain, plain, name),
                "labels.dataset", "reserved-label"});

        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            server.send(c.getKey(), c.getValue()[0].getBytes(StandardCharsets.UTF_8));
        }
        List<ConsumerRecord<String, byte[]>> dead = server.records(server.props().kafka().deadLetterTopic(),
                cases.keySet(), Duration.ofSeconds(120));
        assertThat(dead).hasSize(cases.size());
        for (ConsumerRecord<String, byte[]> rec : dead) {
            String[] c = cases.get(rec.key());
            JsonNode reasons = JSON.readTree(rec.headers().lastHeader("diffusion.reasons").value());
            assertThat(reasons).as(rec.key() + " " + reasons).anySatisfy(r -> {
                assertThat(r.path("field").asString()).isEqualTo(c[1]);
                assertThat(r.path("rule").asString()).isEqualTo(c[2]);
            });
            assertThat(server.bean(RequestStore.class).findByClientId(rec.key())).as("no run for " + rec.key()).isEmpty();
        }

        // the night as `dataset run` makes it is accepted and made
        String good = spec.requestId(night);
        server.send(good, NightExpansion.requestJson(spec, night).getBytes(StandardCharsets.UTF_8));
        assertThat(server.awaitFinished(good, Duration.ofSeconds(120)).status().name()).isEqualTo("COMPLETED");
    }
}
