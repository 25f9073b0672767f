package io.diffusionbatch.job;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.ServerRow;
import io.diffusionbatch.ledger.ServerStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.local.LocalKafka;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.Dashboard;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two server replicas on one PostgreSQL and one broker (services this test owns; each replica
 * in external mode, as in production): a replica started while the other runs a job leaves that
 * run alone (one job execution, every item attempted once), and when the running replica stops,
 * the other resumes its run at once (the lease is released) and completes it. Replicas that mount the shared output
 * volume at different paths find every run's files under their own mount.
 */
class ReplicasTest {

    private static final int ITEMS = 120;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Path dir;
    private static LocalPostgres postgres;
    private static LocalKafka kafka;

    @BeforeAll
    static void services() throws Exception {
        dir = Files.createTempDirectory("diffusion-replicas-");
        postgres = LocalPostgres.start(dir.resolve("pg"), 0);
        kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        TopicAdmin.ensureTopics(settings());
    }

    @AfterAll
    static void stop() {
        kafka.close();
        postgres.close();
    }

    private static DiffusionProperties.Kafka settings() {
        return new DiffusionProperties.Kafka(kafka.bootstrapServers(), "requests", "events", "requests.dlt",
                "diffusion-intake", null);
    }

    private static ConfigurableApplicationContext replica(String name) {
        return replica(name, dir.resolve("outputs"), "--diffusion.web.port=-1");
    }

    /** A replica whose mount of the shared output volume is {@code outputRoot}. */
    private static ConfigurableApplicationContext replica(String name, Path outputRoot, String webPort) {
        return DiffusionBatchApplication.start("server",
                "--diffusion.local.mode=off",
                "--spring.datasource.url=" + postgres.jdbcUrl(),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--diffusion.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--diffusion.data-dir=" + dir.resolve(name),
                "--diffusion.output-root=" + outputRoot, // the shared volume
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                "--diffusion.models.tiny.kind=image",
                "--diffusion.job.grid-size=3", "--diffusion.job.min-partition-batches=0", "--diffusion.job.batch-size=2",
                "--diffusion.job.lease=6s",
                webPort, "--diffusion.energy.source=estimate");
    }

    /**
     * A run accepted and begun by one replica, whose volume is then mounted at another path (the first path is gone)
     * for the replica that resumes it: it writes, shows and serves the run's files under its own mount, the ledger
     * keeping the folder relative to the root. A row an older version wrote (the absolute folder) works when it is
     * inside this replica's root and is refused, naming the run and the root, when it is not.
     */
    @Test
    void aRunIsFoundUnderEachReplicasOwnMountOfTheSharedVolume() throws Exception {
        Path mountA = Files.createDirectories(dir.resolve("mount-a"));
        Path mountB = dir.resolve("mount-b");
        String id = "mounts-" + UUID.randomUUID().toString().substring(0, 8);
        String location = "mounts/" + id;
        ConfigurableApplicationContext first = replica("mount-first", mountA, "--diffusion.web.port=-1");
        ConfigurableApplicationContext second = null;
        try {
            JdbcClient jdbc = first.getBean(JdbcClient.class);
            try (KafkaProducer<String, byte[]> p = KafkaClients.producer(settings(), "test")) {
                p.send(new ProducerRecord<>("requests", id, GenerationJobTest.request(id, "tiny", 6, 4, 250, 0,
                        location).getBytes(StandardCharsets.UTF_8))).get();
            }
            RequestStore requests = first.getBean(RequestStore.class);
            RequestRow run = await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 2),
                    Duration.ofSeconds(120), "2 items made by the first replica");
            assertThat(run.outputDir()).as("kept relative to the output root").isEqualTo(location);
            long madeByFirst = jdbc.sql("SELECT min(idx) FROM items WHERE request_id = ? AND status = 'done'")
                    .param(run.id()).query(Long.class).single();
            first.close();
            first = null;
            Files.move(mountA, mountB); // the volume, now mounted at another path

            second = replica("mount-second", mountB, "--diffusion.web.port=0");
            RequestStore requests2 = second.getBean(RequestStore.class);
            RequestRow end = await(() -> requests2.find(run.id()).filter(RequestRow::isFinished),
                    Duration.ofSeconds(180), "the second replica completes the run");
            assertThat(end.status()).as(end.message()).isEqualTo(RunStatus.COMPLETED);
            JdbcClient jdbc2 = second.getBean(JdbcClient.class);
            assertThat(executions(jdbc2, run.id())).as("the second replica ran the rest of the run").isEqualTo(2);
            Path folder = mountB.resolve(location);
            for (Map<String, Object> o : jdbc2.sql("SELECT path, sha256 FROM outputs WHERE request_id = ?")
                    .param(run.id()).query().listOfRows()) {
                assertThat(ItemWriter.sha256(folder.resolve((String) o.get("path")))).isEqualTo(o.get("sha256"));
            }
            URI base = second.getBean(Dashboard.class).url().orElseThrow();
            String file = "files/" + run.id() + "/" + madeByFirst;
            HttpResponse<byte[]> served = get(base.resolve(file));
            assertThat(served.statusCode()).isEqualTo(200);
            String path = jdbc2.sql("SELECT path FROM outputs WHERE request_id = ? AND idx = ?")
                    .params(run.id(), madeByFirst).query(String.class).single();
            assertThat(served.body()).isEqualTo(Files.readAllBytes(folder.resolve(path)));
            assertThat(new String(get(base.resolve("runs/" + run.id())).body(), StandardCharsets.UTF_8))
                    .as("the run's folder on this replica").contains(folder.toString());

            // rows of older versions: the absolute folder of the replica that accepted them
            setOutputDir(jdbc2, run.id(), folder.toString());
            assertThat(get(base.resolve(file)).statusCode()).as("inside this replica's root").isEqualTo(200);
            setOutputDir(jdbc2, run.id(), mountA.resolve(location).toString());
            HttpResponse<byte[]> refused = get(base.resolve(file));
            assertThat(refused.statusCode()).isEqualTo(404);
            assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("run " + run.id())
                    .contains(mountA.resolve(location).toString()).contains("outside this instance&#39;s output root " + mountB);
        } finally {
            if (first != null) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }
    }

    private static void setOutputDir(JdbcClient jdbc, long run, String outputDir) {
        jdbc.sql("UPDATE requests SET output_dir = ? WHERE id = ?").params(outputDir, run).update();
    }

    private static HttpResponse<byte[]> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).header("Accept", "text/html").build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aSecondReplicaLeavesALiveRunAloneAndResumesItWhenItsOwnerStops() throws Exception {
        ConfigurableApplicationContext first = replica("first");
        ConfigurableApplicationContext second = null;
        try {
            JdbcClient jdbc = first.getBean(JdbcClient.class);
            RequestStore requests = first.getBean(RequestStore.class);
            String id = "replicas-" + UUID.randomUUID().toString().substring(0, 8);
            try (KafkaProducer<String, byte[]> p = KafkaClients.producer(settings(), "test")) {
                p.send(new ProducerRecord<>("requests", id, GenerationJobTest.request(id, "tiny", 30, 4, 250, 0,
                        "replicas/" + id).getBytes(StandardCharsets.UTF_8))).get();
            }
            RequestRow run = await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 3),
                    Duration.ofSeconds(120), "3 items made by the first replica");

            // a server that died two days ago without a clean stop left its row; a new one forgets it
            jdbc.sql("INSERT INTO servers (id, host, pid, version, started_at, heartbeat_at) VALUES "
                    + "('crashed:1:x', 'crashed', 1, 'v', now() - interval '3 days', now() - interval '2 days')").update();
            second = replica("second"); // a rolling deploy: a new replica starts mid-run
            ServerStore servers = first.getBean(ServerStore.class);
            String firstId = first.getBean(ServerInstance.class).id();
            String secondId = second.getBean(ServerInstance.class).id();
            await(() -> servers.live(Duration.ofSeconds(6)).stream().map(ServerRow::id).toList()
                            .containsAll(List.of(firstId, secondId)) ? Optional.of(true) : Optional.empty(),
                    Duration.ofSeconds(30), "both replicas have a heartbeat row");
            assertThat(jdbc.sql("SELECT count(*) FROM servers WHERE id = 'crashed:1:x'").query(Long.class).single())
                    .as("a row silent for a day is forgotten").isZero();
            long doneWhenSecondUp = done(jdbc, run.id());
            await(() -> done(jdbc, run.id()) >= doneWhenSecondUp + 4 ? Optional.of(true) : Optional.empty(),
                    Duration.ofSeconds(120), "the first replica goes on");
            assertThat(executions(jdbc, run.id())).as("the second replica did not restart the live run").isEqualTo(1);
            assertThat(jdbc.sql("SELECT count(*) FROM items WHERE request_id = ? AND attempts > 1").param(run.id())
                    .query(Long.class).single()).as("no item made twice").isZero();

            long beforeStop = done(jdbc, run.id());
            assertThat(beforeStop).as("the run is still going").isLessThan(ITEMS);
            first.close(); // the old replica goes away
            first = null;
            assertThat(second.getBean(ServerStore.class).live(Duration.ofSeconds(6)))
                    .as("a cleanly stopped server's row is deleted")
                    .extracting(ServerRow::id).contains(secondId).doesNotContain(firstId);

            RequestStore requests2 = second.getBean(RequestStore.class);
            JdbcClient jdbc2 = second.getBean(JdbcClient.class);
            RequestRow end = await(() -> requests2.find(run.id()).filter(RequestRow::isFinished),
                    Duration.ofSeconds(180), "the second replica resumes and completes the run");
            assertThat(end.status()).as(end.message()).isEqualTo(RunStatus.COMPLETED);
            assertThat(jdbc2.sql("SELECT count(*) FROM outputs WHERE request_id = ?").param(run.id())
                    .query(Long.class).single()).isEqualTo(ITEMS);
            // the event is published after the commit that makes the row final
            long terminal = await(() -> Optional.of(jdbc2.sql("SELECT count(*) FROM request_events WHERE request_id = ?"
                    + " AND type = 'completed'").param(run.id()).query(Long.class).single()).filter(n -> n > 0),
                    Duration.ofSeconds(10), "the terminal event");
            assertThat(terminal).as("one terminal event").isEqualTo(1);
            assertThat(executions(jdbc2, run.id())).isEqualTo(2);
        } finally {
            if (first != null) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }
    }

    private static long done(JdbcClient jdbc, long run) {
        return jdbc.sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'").param(run)
                .query(Long.class).single();
    }

    private static long executions(JdbcClient jdbc, long run) {
        return jdbc.sql("SELECT count(*) FROM batch_job_execution e JOIN batch_job_execution_params p "
                        + "USING (job_execution_id) WHERE p.parameter_name = 'requestId' AND p.parameter_value = ?")
                .param(Long.toString(run)).query(Long.class).single();
    }

    private static <T> T await(Supplier<Optional<T>> probe, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = probe.get();
            if (v.isPresent()) {
                return v.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": not within " + timeout);
    }
}
