package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code report} and {@code compare} on runs whose cost is known in advance. */
class ReportCommandTest {

    private final TestServer server = TestServer.get();

    private long run(int steps) {
        String id = TestServer.uniqueId("report");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a", "b"],
                 "params": {"sampler": "ddim", "steps": %d, "guidance": 3.0},
                 "output": {"location": "report/%s", "format": "png"}}""".formatted(id, steps, id))
                .getBytes(StandardCharsets.UTF_8));
        RequestRow r = server.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        return r.id();
    }

    @Test
    void reportAndCompareShowTheSurveysFigures() {
        long a = run(4);
        long b = run(8);
        String dataDir = "--data-dir=" + server.dataDir();

        CliRun json = CliRun.of("report", Long.toString(a), "--format", "json", dataDir);
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode f = JsonMapper.builder().build().readTree(json.out());
        assertThat(f.path("NFE").asDouble()).isEqualTo(8.0); // 4 steps, doubled by guidance
        assertThat(f.path("samples").asLong()).isEqualTo(2);
        assertThat(f.path("sampler").asString()).isEqualTo("ddim");
        assertThat(f.path("params").asLong()).isPositive();
        assertThat(f.path("GFLOPs/sample").asDouble()).isPositive();
        assertThat(f.path("FID").isNull()).isTrue();
        double joules = f.path("J/sample").asDouble();
        assertThat(joules).isPositive();
        assertThat(f.path("gCO2/1k samples").asDouble()).isCloseTo(joules / 3.6e6 * 475 * 1000,
                org.assertj.core.api.Assertions.within(1e-9));

        CliRun md = CliRun.of("report", Long.toString(a), dataDir);
        assertThat(md.out()).startsWith("| run | model | sampler | steps | NFE |").contains("| n/a |");
        CliRun csv = CliRun.of("report", Long.toString(a), "--format", "csv", dataDir);
        assertThat(csv.out().lines().toList()).hasSize(2);

        CliRun cmp = CliRun.of("compare", Long.toString(a), Long.toString(b), dataDir);
        assertThat(cmp.code()).as(cmp.err()).isZero();
        assertThat(cmp.out()).contains("| steps | 4 | 8 | 2.000 |").contains("| NFE | 8.000 | 16.00 | 2.000 |")
                .contains("| params |");
        assertThat(CliRun.of("report", Long.toString(a), "--format", "xml", dataDir).err())
                .contains("--format: must be md, csv or json");
    }
}
