package io.diffusionbatch.job;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.local.LocalServices;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill -9 of a serving process in the middle of a run, then a second start on the same data
 * directory: the run is resumed through Spring Batch's restart and completes; every item has
 * exactly one output; no item written before the crash is made again. Runs the packaged jar
 * (failsafe, after {@code package}), as a user does.
 */
class CrashRestartIT {

    private Process child;

    @AfterEach
    void stopChild() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroy(); // SIGTERM: Spring's shutdown hook stops the job, Kafka and Postgres
            if (!child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    private Process serve(Path dataDir, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", "target/diffusion-batch.jar", "serve", "--data-dir", dataDir.toString(),
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd", "--diffusion.models.tiny.kind=image",
                "--diffusion.job.batch-size=2", "--diffusion.job.grid-size=3");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    private static LocalServices awaitServices(Path dataDir, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<LocalServices> s = LocalServices.discover(dataDir);
            if (s.isPresent() && s.get().pid() == p.pid()) {
                return s.get();
            }
            assertThat(p.isAlive()).as("server process alive; log: " + Files.readString(log)).isTrue();
            Thread.sleep(200);
        }
        throw new AssertionError("server did not start; log: " + Files.readString(log));
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aRunInterruptedByKillMinus9CompletesAfterARestartWithExactlyOneOutputPerItem() throws Exception {
        Path dataDir = Files.createTempDirectory("diffusion-crash-");
        Path log = dataDir.resolve("server.log");
        child = serve(dataDir, log);
        LocalServices first = awaitServices(dataDir, child, log);

        String id = "crash-" + System.nanoTime();
        int items = 36;
        DiffusionProperties.Kafka kafka = new DiffusionProperties.Kafka(first.bootstrapServers(), "requests", "events",
                "requests.dlt", "diffusion-intake", null);
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(kafka, "test")) {
            producer.send(new ProducerRecord<>("requests", id, GenerationJobTest.request(id, "tiny", 12, 3, 250, 0,
                    "crash/" + id).getBytes(StandardCharsets.UTF_8))).get();
        }
        Map<Long, String> before = new HashMap<>();
        long run;
        try (Connection c = DriverManager.getConnection(first.jdbcUrl(), "postgres", "postgres")) {
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            long done = 0;
            while (done < 6) {
                assertThat(System.nanoTime()).as("items done before the kill").isLessThan(deadline);
                if (!child.isAlive()) {
                    throw new AssertionError("server exited with " + child.exitValue() + "; log: " + Files.readString(log));
                }
                Thread.sleep(100);
                done = scalar(c, "SELECT count(*) FROM items i JOIN requests r ON r.id = i.request_id "
                        + "WHERE r.client_request_id = '" + id + "' AND i.status = 'done'");
            }
            child.destroyForcibly().waitFor(); // SIGKILL mid-run
            run = scalar(c, "SELECT id FROM requests WHERE client_request_id = '" + id + "'");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT idx, finished_at::text FROM items WHERE status = 'done' AND request_id = " + run)) {
                while (rs.next()) {
                    before.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        assertThat(before).hasSizeBetween(6, items - 1);

        child = serve(dataDir, log);
        LocalServices second = awaitServices(dataDir, child, log);
        try (Connection c = DriverManager.getConnection(second.jdbcUrl(), "postgres", "postgres")) {
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            while (scalar(c, "SELECT count(*) FROM requests WHERE status = 'completed' AND id = " + run) == 0) {
                assertThat(System.nanoTime()).as("run completes after the restart; log: " + Files.readString(log))
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(scalar(c, "SELECT count(*) FROM items WHERE status = 'done' AND request_id = " + run))
                    .isEqualTo(items);
            // an attempt is counted when a worker claims the item: the micro-batch in flight at the
            // kill (one partition at a time, batch size 2) was attempted twice, every other item once
            assertThat(scalar(c, "SELECT count(*) FROM items WHERE attempts = 1 AND request_id = " + run))
                    .isBetween(items - 2L, (long) items);
            assertThat(scalar(c, "SELECT max(attempts) FROM items WHERE request_id = " + run)).isBetween(1L, 2L);
            assertThat(scalar(c, "SELECT count(*) FROM outputs WHERE request_id = " + run)).isEqualTo(items);
            assertThat(scalar(c, "SELECT count(*) FROM batch_job_instance ji JOIN batch_job_execution_params p "
                    + "ON true JOIN batch_job_execution je ON je.job_execution_id = p.job_execution_id "
                    + "AND je.job_instance_id = ji.job_instance_id WHERE p.parameter_name = 'requestId' "
                    + "AND p.parameter_value = '" + run + "'")).as("executions of the run's one job instance")
                    .isGreaterThanOrEqualTo(2);
            String dir;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT output_dir FROM requests WHERE id = " + run)) {
                rs.next();
                dir = rs.getString(1);
            }
            assertThat(dir).as("kept relative to the output root").doesNotStartWith("/");
            Path runDir = dataDir.resolve("outputs").resolve(dir); // local mode's output root
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT i.idx, i.finished_at::text, o.path, o.sha256 FROM items i JOIN outputs o USING (request_id, idx) "
                            + "WHERE i.request_id = " + run)) {
                while (rs.next()) {
                    long idx = rs.getLong(1);
                    if (before.containsKey(idx)) {
                        assertThat(rs.getString(2)).as("item " + idx + " written before the crash is not made again")
                                .isEqualTo(before.get(idx));
                    }
                    assertThat(ItemWriter.sha256(runDir.resolve(rs.getString(3)))).isEqualTo(rs.getString(4));
                }
            }
            try (Stream<Path> files = Files.walk(runDir)) {
                List<Path> regular = files.filter(Files::isRegularFile).toList();
                assertThat(regular).as("one PNG and one sidecar per item, nothing staged").hasSize(2 * items);
            }
        }
    }
}
