package io.diffusionbatch.cli;

import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sweep} as a user types it, through the test server's Kafka, on the bundled shapes-ldm. */
class SweepCommandTest {

    private final TestServer server = TestServer.get();

    @Test
    void sweepRunsEveryPointAndWritesTableCsvAndPlotAndResumesByItsId(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "a large red circle in the centre on a white background"}
                {"prompt": "a small blue square at the top left on a black background"}

                {"prompt": "a large yellow star on the right on a gray background"}
                """);
        String id = TestServer.uniqueId("sweep");
        String dataDir = "--data-dir=" + server.dataDir();
        Path out = tmp.resolve("out");
        CliRun sweep = CliRun.of("sweep", "--model", "shapes", "--samplers", "ddim,dpmpp-2m", "--steps", "3,8",
                "--guidance", "5", "--prompts", prompts.toString(), "--id", id, "--out", out.toString(),
                "--min-adherence", "0.6", dataDir);
        assertThat(sweep.code()).as(sweep.err()).isZero();
        assertThat(sweep.out().lines().filter(l -> l.matches("\\| \\d+ \\| shapes \\|.*"))).hasSize(4);
        assertThat(sweep.out()).containsPattern("\\| ddim \\| 3 \\| 6 \\|").containsPattern("\\| dpmpp-2m \\| 8 \\| 16 \\|")
                .contains("cheapest point with adherence >= 0.6:");
        assertThat(out.resolve("sweep.md")).exists();
        assertThat(Files.readAllLines(out.resolve("sweep.csv"))).hasSize(5);
        assertThat(Files.readString(out.resolve("sweep.svg"))).startsWith("<svg").contains("dpmpp-2m");
        // every point's run has measured quality: 3 prompts read back, FID over the 3 single-object images
        assertThat(server.jdbc().sql("SELECT count(*) FROM run_quality q JOIN requests r ON r.id = q.request_id "
                + "WHERE r.client_request_id LIKE ? AND q.items_labelled = 3 AND q.fid IS NOT NULL")
                .param(id + "-%").query(Long.class).single()).isEqualTo(4);

        // the same id again: the server answers duplicate with the finished runs, nothing is generated twice
        CliRun again = CliRun.of("sweep", "--model", "shapes", "--samplers", "ddim,dpmpp-2m", "--steps", "3,8",
                "--guidance", "5", "--prompts", prompts.toString(), "--id", id, "--out", out.toString(), dataDir);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("duplicate");
        assertThat(server.jdbc().sql("SELECT count(*) FROM requests WHERE client_request_id LIKE ?").param(id + "-%")
                .query(Long.class).single()).isEqualTo(4);

        CliRun bad = CliRun.of("sweep", "--model", "shapes", "--prompts", prompts.toString(), "--steps", "4,x", dataDir);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--steps");
    }
}
