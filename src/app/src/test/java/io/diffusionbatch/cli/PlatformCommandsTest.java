package io.diffusionbatch.cli;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.platform.TestServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code submit}, {@code runs}, {@code show}, {@code cancel} and {@code retry} as a user types them, against the
 * running test server (found through its data directory's services.json).
 */
class PlatformCommandsTest {

    private final TestServer server = TestServer.get();

    @Test
    void submitWaitsForTheRunAndTheLedgerCommandsShowIt(@TempDir Path tmp) throws Exception {
        String id = TestServer.uniqueId("cli");
        Path file = tmp.resolve("request.json");
        Files.writeString(file, """
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a red cube", "a blue cone"],
                 "seeds": {"count": 2, "base": 5}, "params": {"sampler": "dpmpp-2m", "steps": 4},
                 "output": {"location": "cli/%s", "format": "png"}}
                """.formatted(id, id));
        String dataDir = "--data-dir=" + server.dataDir();

        CliRun submit = CliRun.of("submit", file.toString(), "--wait", dataDir);
        assertThat(submit.code()).as(submit.err()).isZero();
        assertThat(submit.err()).contains("as request " + id).contains("accepted as run").contains("4 items");
        assertThat(submit.out()).containsPattern("run \\d+ completed").contains("items done/failed/cancelled  4 / 0 / 0");
        long run = Long.parseLong(submit.out().replaceAll("(?s).*run (\\d+) completed.*", "$1"));

        CliRun runs = CliRun.of("runs", dataDir);
        assertThat(runs.code()).isZero();
        assertThat(runs.out()).containsPattern("(?m)^" + run + "\\s+" + id + "\\s+tiny\\s+completed\\s+4\\s");

        CliRun show = CliRun.of("show", Long.toString(run), dataDir);
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("status     completed").contains("{done=4}").contains("a blue cone")
                .contains("started").contains("completed")
                .contains("outputs    " + server.outputRoot().toAbsolutePath().resolve("cli/" + id) + "\n");

        CliRun item = CliRun.of("item", run + "/3", dataDir);
        assertThat(item.code()).as(item.err()).isZero();
        assertThat(item.out()).contains("output     " + server.outputRoot().toAbsolutePath().resolve("cli/" + id) + "/")
                .contains("prompt     a blue cone").contains("seed       6").containsPattern("sha256     [0-9a-f]{64}")
                .contains("dpmpp-2m");
        // the test model is in the test server's catalog only: the catalog is configuration
        CliRun reproduce = CliRun.of("reproduce", Long.toString(run), dataDir,
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd", "--diffusion.models.tiny.kind=image");
        assertThat(reproduce.code()).as(reproduce.out() + reproduce.err()).isZero();
        assertThat(reproduce.out()).contains("4 of 4 items reproduced bit for bit");
        assertThat(CliRun.of("item", "x/y", dataDir).err()).contains("ITEM: must be RUN/INDEX");

        CliRun cancel = CliRun.of("cancel", Long.toString(run), dataDir);
        assertThat(cancel.out()).contains("already finished");
        CliRun retry = CliRun.of("retry", Long.toString(run), dataDir);
        assertThat(retry.code()).isZero();
        assertThat(retry.out()).contains("run " + run + ": completed (only a failed run can be retried)");
        assertThat(CliRun.of("retry", "999999", dataDir).err()).contains("RUN: no run 999999");
        assertThat(CliRun.of("show", "999999", dataDir).err()).contains("RUN: no run 999999");
        assertThat(CliRun.of("show", "abc", dataDir).code()).isEqualTo(2);
    }

    @Test
    void externalServicesAreConfigurationOnly(@TempDir Path tmp) throws Exception {
        String id = TestServer.uniqueId("ext");
        server.send(id, ("{\"requestId\": \"" + id + "\", \"kind\": \"image\", \"model\": \"tiny\", \"prompts\": [\"x\"], "
                + "\"params\": {\"steps\": 2}, \"output\": {\"location\": \"ext\", \"format\": \"png\"}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long run = server.awaitFinished(id, java.time.Duration.ofSeconds(60)).id();
        // the test server's Postgres and Kafka, reached as external services: local mode off, no data dir
        String url = server.bean(org.springframework.core.env.Environment.class).getProperty("spring.datasource.url");
        String[] external = {"--diffusion.local.mode=off", "--spring.datasource.url=" + url,
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--diffusion.kafka.bootstrap-servers=" + server.props().kafka().bootstrapServers()};

        CliRun refused = CliRun.of(args("runs", external));
        assertThat(refused.code()).as("no output root: no start").isEqualTo(1);
        assertThat(refused.err().strip()).doesNotContain("\n").startsWith("failed: diffusion.output-root (environment"
                + " DIFFUSION_OUTPUT_ROOT) is not set").contains("shared folder");

        // this machine's mount of the shared output root is at another path than the server's
        Path mount = Files.createSymbolicLink(tmp.resolve("mnt"), server.outputRoot().toAbsolutePath());
        String root = "--diffusion.output-root=" + mount;
        CliRun runs = CliRun.of(args("runs", external, "--limit", "3", root));
        assertThat(runs.code()).as(runs.err()).isZero();
        assertThat(runs.out()).startsWith("RUN").contains(id);
        CliRun show = CliRun.of(args("show", external, Long.toString(run), root));
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).as("the run's folder under this instance's mount").contains("outputs    " + mount.resolve("ext") + "\n");
    }

    private static String[] args(String command, String[] external, String... more) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(command));
        all.addAll(java.util.List.of(external));
        all.addAll(java.util.List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void aRefusedRequestPrintsItsReasonsAndExitsWithTwo(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("bad.json");
        Files.writeString(file, "{\"requestId\": \"" + TestServer.uniqueId("badcli") + "\", \"kind\": \"image\", "
                + "\"model\": \"tiny\", \"prompts\": [\"x\"], \"params\": {\"steps\": 5000}, "
                + "\"output\": {\"location\": \"x\", \"format\": \"png\"}}");
        CliRun submit = CliRun.of("submit", file.toString(), "--data-dir=" + server.dataDir());
        assertThat(submit.code()).isEqualTo(2);
        assertThat(submit.err()).contains("rejected").contains("params.steps").contains("[range]");
    }

    @Test
    void submitWithoutARunningServerSaysHowToStartOne(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("r.json");
        Files.writeString(file, "{}");
        CliRun submit = CliRun.of("submit", file.toString(), "--data-dir=" + tmp.resolve("data"));
        assertThat(submit.code()).isEqualTo(2);
        assertThat(submit.err()).contains("no server is running").contains("serve");
    }

    /** A ledger command whose database does not answer says so, in one line naming its address, and exits with 10. */
    @Test
    void aLedgerCommandWithoutItsDatabaseSaysWhatIsWrong() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        CliRun runs = CliRun.of("runs", "--diffusion.local.mode=off", "--diffusion.output-root=" + server.outputRoot(),
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + closedPort + "/ledger",
                "--spring.datasource.hikari.connection-timeout=1000");
        assertThat(runs.code()).isEqualTo(10);
        assertThat(runs.err()).isEqualTo("diffusion-batch: cannot reach PostgreSQL at jdbc:postgresql://127.0.0.1:"
                + closedPort + "/ledger: Connection refused" + System.lineSeparator());
    }

    /**
     * The events topic lags (here: the client follows a topic the server never writes to, as when the
     * broker's copy is behind): {@code submit --wait} hears the run's accepted and completed events from
     * the ledger instead, within seconds, and reports the run as usual.
     */
    @Test
    void submitWaitReadsTheLedgerWhenTheEventsTopicLags(@TempDir Path tmp) throws Exception {
        String id = TestServer.uniqueId("lag");
        String silent = "silent-events-" + id;
        try (Admin admin = KafkaClients.admin(server.props().kafka(), 10_000, "test")) {
            admin.createTopics(List.of(new NewTopic(silent, 1, (short) 1))).all().get();
        }
        Path file = tmp.resolve("request.json");
        Files.writeString(file, """
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a green torus"],
                 "params": {"steps": 2}, "output": {"location": "cli/%s", "format": "png"}}
                """.formatted(id, id));
        CliRun submit = CliRun.of("submit", file.toString(), "--wait", "--timeout", "60",
                "--data-dir=" + server.dataDir(), "--diffusion.kafka.events-topic=" + silent);
        assertThat(submit.code()).as(submit.err()).isZero();
        assertThat(submit.err()).contains("accepted as run");
        assertThat(submit.out()).containsPattern("run \\d+ completed").contains("items done/failed/cancelled  1 / 0 / 0");
    }
}
