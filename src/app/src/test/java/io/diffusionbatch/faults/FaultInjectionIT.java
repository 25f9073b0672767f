package io.diffusionbatch.faults;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.job.GenerationJobTest;
import io.diffusionbatch.local.LocalKafka;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standing fault-injection suite: the packaged server (a child process, as in production:
 * local mode off) against a real PostgreSQL and a real Kafka broker that this test owns, so that
 * it can kill and restart them, and kill the server itself. Each test asserts on the ledger and
 * on the files: every item of the run done exactly once, one output row each, every file's
 * sha256 right, nothing else in the run's folder, no job execution or step left running or
 * UNKNOWN, exactly one {@code completed} event.
 */
class FaultInjectionIT {

    private static final int ITEMS = 24;

    private Path dataDir;
    private Path log;
    private LocalPostgres postgres;
    private int pgPort;
    private LocalKafka kafka;
    private int kafkaPort;
    private Process server;

    @BeforeEach
    void services() throws IOException {
        dataDir = Files.createTempDirectory("diffusion-faults-");
        log = dataDir.resolve("server.log");
        Files.createDirectories(dataDir.resolve("faults"));
        Path factories = dataDir.resolve("fault-points/META-INF/spring.factories");
        Files.createDirectories(factories.getParent());
        Files.writeString(factories, "org.springframework.context.ApplicationContextInitializer="
                + FaultPoints.class.getName() + "\n");
        postgres = LocalPostgres.start(dataDir.resolve("postgres"), 0);
        pgPort = postgres.port();
        kafka = LocalKafka.start(dataDir.resolve("kafka"), 0);
        kafkaPort = Integer.parseInt(kafka.bootstrapServers().substring(kafka.bootstrapServers().lastIndexOf(':') + 1));
        TopicAdmin.ensureTopics(kafkaSettings()); // a request can be sent before the server is up
    }

    @AfterEach
    void stopAll() {
        if (server != null && server.isAlive()) {
            server.destroyForcibly();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    // ---- the faults ----

    /**
     * PostgreSQL killed with SIGKILL mid-run (its backends too, as a crashed host would) and started
     * again after longer than the workers wait for it (3 s here): the partitions stop, and when
     * the database is back the dispatcher recovers the execution and the run completes.
     */
    @Test
    void postgresKilledMidRunAndBackAfterTheRetryWindow() throws Exception {
        server = serve("--diffusion.job.database-wait=3s");
        String id = submit();
        long run = awaitDone(id, 4);
        killPostgres();
        Thread.sleep(10_000);
        assertThat(server.isAlive()).as("the server survives its database's outage").isTrue();
        postgres = LocalPostgres.start(dataDir.resolve("postgres"), pgPort);
        awaitCompleted(run);
        assertRunIsWhole(run);
    }

    /**
     * The broker stopped mid-run and started again: generation goes on meanwhile (events wait in
     * the producer), intake takes new requests once it is back, both runs complete, and their
     * lifecycle events reach the events topic.
     */
    @Test
    void brokerRestartedMidRun() throws Exception {
        server = serve();
        String first = submit();
        long run = awaitDone(first, 4);
        kafka.close();
        kafka = null;
        Thread.sleep(5_000);
        kafka = LocalKafka.start(dataDir.resolve("kafka"), kafkaPort);
        String second = submit();
        awaitCompleted(run);
        long run2 = awaitRun(second, Duration.ofSeconds(180));
        awaitCompleted(run2);
        assertRunIsWhole(run);
        assertRunIsWhole(run2);
        List<String> events = events(List.of(first, second));
        assertThat(events).as("each run's completed event reached the topic")
                .anyMatch(e -> e.startsWith(first + " ") && e.contains("\"type\":\"completed\""))
                .anyMatch(e -> e.startsWith(second + " ") && e.contains("\"type\":\"completed\""));
    }

    /**
     * {@code kill -9} of the server four times in one run: inside the expand step's transaction,
     * mid-generation, inside the assess step and inside the summarize step (the last two after
     * their work, before their commit). Each next start resumes the run; it completes once.
     */
    @Test
    void serverKilledInEveryPhase() throws Exception {
        pause("expand");
        server = serve();
        String id = submit();
        awaitPaused("expand");
        kill();
        long run = awaitRun(id, Duration.ofSeconds(5));
        assertThat(scalar("SELECT count(*) FROM items WHERE request_id = " + run))
                .as("the expand transaction was rolled back").isZero();

        server = serve();
        awaitDone(id, 6);
        kill();
        long before = scalar("SELECT count(*) FROM items WHERE status = 'done' AND request_id = " + run);
        assertThat(before).isBetween(6L, ITEMS - 1L);

        pause("assess");
        server = serve();
        awaitPaused("assess");
        kill();

        pause("summarize");
        server = serve();
        awaitPaused("summarize");
        kill();
        assertThat(scalar("SELECT count(*) FROM requests WHERE status = 'running' AND id = " + run))
                .as("the summarize transaction was rolled back").isEqualTo(1);

        server = serve();
        awaitCompleted(run);
        assertRunIsWhole(run);
        assertThat(scalar("SELECT max(attempts) FROM items WHERE request_id = " + run))
                .as("the items in flight at the kill were attempted twice, the rest once").isBetween(1L, 2L);
    }

    // ---- the server ----

    private Process serve(String... extra) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java,
                "-Ddiffusion.faults.dir=" + dataDir.resolve("faults"),
                // the test classes and a folder whose spring.factories registers the fault points
                "-Dloader.path=src/app/target/test-classes," + dataDir.resolve("fault-points"),
                "-cp", "target/diffusion-batch.jar", "org.springframework.boot.loader.launch.PropertiesLauncher",
                "serve", "--data-dir", dataDir.toString(),
                "--diffusion.local.mode=off",
                "--diffusion.output-root=" + dataDir.resolve("outputs"),
                "--spring.datasource.url=" + jdbcUrl(),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--diffusion.kafka.bootstrap-servers=localhost:" + kafkaPort,
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                "--diffusion.models.tiny.kind=image",
                "--diffusion.web.port=-1",
                "--diffusion.energy.source=estimate",
                "--diffusion.job.batch-size=2", "--diffusion.job.grid-size=3",
                "--diffusion.job.min-partition-batches=0"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    private void kill() throws InterruptedException {
        server.destroyForcibly().waitFor();
    }

    private String submit() throws Exception {
        String id = "fault-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(kafkaSettings(), "test")) {
            p.send(new ProducerRecord<>("requests", id, GenerationJobTest.request(id, "tiny", 8, 3, 200, 0,
                    "faults/" + id).getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
        }
        return id;
    }

    private DiffusionProperties.Kafka kafkaSettings() {
        return new DiffusionProperties.Kafka("localhost:" + kafkaPort, "requests", "events", "requests.dlt",
                "diffusion-intake", null);
    }

    private void pause(String step) throws IOException {
        Files.writeString(dataDir.resolve("faults").resolve("pause-" + step), "");
    }

    private void awaitPaused(String step) throws Exception {
        Path in = dataDir.resolve("faults").resolve("in-" + step);
        await(() -> Files.exists(in), Duration.ofSeconds(240), "the server reaches " + step);
        Files.delete(in);
    }

    // ---- PostgreSQL ----

    private String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + pgPort + "/postgres";
    }

    /**
     * SIGKILL to the postmaster and every backend: no shutdown, crash recovery at the next start.
     * Then the old handle is closed, only to release its lock on the data directory in this JVM
     * (its {@code pg_ctl stop} finds no server).
     */
    private void killPostgres() throws Exception {
        long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid")).get(0).trim());
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(pm.descendants().toList());
        all.add(0, pm);
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            h.onExit().get(30, TimeUnit.SECONDS);
        }
        postgres.close();
        postgres = null;
    }

    private long scalar(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "postgres");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long awaitRun(String clientId, Duration timeout) throws Exception {
        long[] id = {0};
        await(() -> {
            id[0] = scalarOrZero("SELECT coalesce(max(id), 0) FROM requests WHERE client_request_id = '" + clientId + "'");
            return id[0] > 0;
        }, timeout, "run of " + clientId + " accepted");
        return id[0];
    }

    private long awaitDone(String clientId, long done) throws Exception {
        long run = awaitRun(clientId, Duration.ofSeconds(180));
        await(() -> scalarOrZero("SELECT count(*) FROM items WHERE status = 'done' AND request_id = " + run) >= done,
                Duration.ofSeconds(240), done + " items of run " + run + " done");
        return run;
    }

    private void awaitCompleted(long run) throws Exception {
        await(() -> scalarOrZero("SELECT count(*) FROM requests WHERE status = 'completed' AND id = " + run) == 1,
                Duration.ofSeconds(300), "run " + run + " completed");
    }

    private long scalarOrZero(String sql) {
        try {
            return scalar(sql);
        } catch (SQLException e) {
            return 0; // the database may be away in this test
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private void await(Check check, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeout + "; server log:\n" + tail());
            }
            if (server != null && !server.isAlive()) {
                throw new AssertionError(what + ": the server exited with " + server.exitValue() + "; log:\n" + tail());
            }
            Thread.sleep(100);
        }
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    // ---- what every test asserts ----

    private void assertRunIsWhole(long run) throws Exception {
        int items = (int) scalar("SELECT item_count FROM requests WHERE id = " + run);
        assertThat(items).isEqualTo(ITEMS);
        assertThat(scalar("SELECT count(*) FROM items WHERE status = 'done' AND attempts >= 1 AND request_id = " + run))
                .as("every item done").isEqualTo(items);
        assertThat(scalar("SELECT count(*) FROM outputs WHERE request_id = " + run)).as("one output row each")
                .isEqualTo(items);
        Path runDir;
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "postgres")) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT output_dir FROM requests WHERE id = " + run)) {
                rs.next();
                runDir = dataDir.resolve("outputs").resolve(rs.getString(1)); // the server's output root
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT path, sha256 FROM outputs WHERE request_id = " + run)) {
                while (rs.next()) {
                    assertThat(ItemWriter.sha256(runDir.resolve(rs.getString(1)))).as(rs.getString(1))
                            .isEqualTo(rs.getString(2));
                }
            }
        }
        try (Stream<Path> files = Files.walk(runDir)) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("one PNG and one sidecar per item, nothing else")
                    .hasSize(2 * items);
        }
        // the run's row is final when summarize commits; Spring Batch closes the execution just after
        await(() -> scalar("SELECT count(*) FROM batch_step_execution s JOIN batch_job_execution e "
                + "USING (job_execution_id) JOIN batch_job_execution_params p USING (job_execution_id) "
                + "WHERE p.parameter_name = 'requestId' AND p.parameter_value = '" + run + "' "
                + "AND (s.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN') "
                + "OR e.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN'))") == 0, Duration.ofSeconds(20),
                "no execution or step left running or UNKNOWN");
        assertThat(scalar("SELECT count(*) FROM request_events WHERE type = 'completed' AND request_id = " + run))
                .as("one completed event").isEqualTo(1);
    }

    /** The events topic's records of these request ids, as "KEY VALUE". */
    private List<String> events(List<String> keys) {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(kafkaSettings(), "faults-" + UUID.randomUUID(), "test")) {
            List<TopicPartition> tps = c.partitionsFor("events", Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition("events", p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && out.stream().filter(e -> e.contains("\"completed\"")).count() < keys.size()) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    if (keys.contains(r.key())) {
                        out.add(r.key() + " " + new String(r.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return out;
    }
}
