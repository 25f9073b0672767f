package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatasetFixture;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code dataset list}, {@code show} and {@code diff} as a user types them, on nights written into the test server's ledger. */
class DatasetCommandsTest {

    private final TestServer server = TestServer.get();
    private final DatasetFixture rows = new DatasetFixture(server.jdbc());

    @Test
    void listShowAndDiffNights() {
        String name = TestServer.uniqueId("cli");
        String dataDir = "--data-dir=" + server.dataDir();
        long a = rows.request(name, "2026-06-01", "completed", null);
        rows.items(a, List.of(name + " x", name + " y", name + " only-a"), Arrays.asList("s0", "s1", "s2"));
        rows.exported(a, name, "2026-06-01", "exported", true, null, "datasets/" + name + "/2026-06-01", "c".repeat(64));
        rows.exclude(a, 1, "gate-verdict", "colour: read blue, prompted red");
        long b = rows.request(name, "2026-06-02", "running", null);
        rows.items(b, List.of(name + " x", name + " y", name + " only-b"), Arrays.asList("s0", "other", "s2"));

        CliRun list = CliRun.of("dataset", "list", "--dataset", name, dataDir);
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).startsWith("DATASET").containsPattern("(?m)^" + name + " +2026-06-02 +" + b + " +generating ")
                .containsPattern("(?m)^" + name + " +2026-06-01 +" + a + " +exported +8 +1 +1 +10 +train 7, validation 1 +passed"
                        + " +datasets/" + name + "/2026-06-01$");
        assertThat(list.out().indexOf("2026-06-02")).isLessThan(list.out().indexOf("2026-06-01"));

        CliRun show = CliRun.of("dataset", "show", name + "/2026-06-01", dataDir);
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("night        " + name + " 2026-06-01 (run " + a + ", request dataset:" + name)
                .contains("status       exported\n").contains("items        10: 8 exported, 1 rejected, 1 missing")
                .contains("gate         passed (rejected share 10.0 %)").contains("excluded     gate-verdict: 1")
                .contains("#1 colour: read blue, prompted red").contains("cost         NFE n/a")
                .contains("card         " + server.outputRoot().toAbsolutePath().resolve("datasets/" + name + "/2026-06-01/README.md"));
        assertThat(CliRun.of("dataset", "show", Long.toString(b), dataDir).out()).contains("status       generating");

        CliRun diff = CliRun.of("dataset", "diff", Long.toString(a), Long.toString(b), dataDir);
        assertThat(diff.code()).as(diff.err()).isZero();
        assertThat(diff.out()).contains("| status | exported | generating |").contains("| rejected share | 10.0 % | 0.0 % |")
                .contains("prompts only in A: 1\n  " + name + " only-a").contains("prompts only in B: 1\n  " + name + " only-b")
                .contains("outputs that differ (same prompt and seed; A's SHA-256 vs B's): 1\n  A #1 / B #1 seed 101 \""
                        + name + " y\": s1 vs other")
                .contains("left out of one export only (same prompt and seed): 1\n  A #1 / B #1 seed 101");

        CliRun unknown = CliRun.of("dataset", "show", name + "/2026-07-01", dataDir);
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("error: ID: no dataset night " + name + "/2026-07-01");
        assertThat(CliRun.of("dataset", "diff", Long.toString(a), "999999999", dataDir).err())
                .startsWith("error: B: no dataset night 999999999");
    }
}
