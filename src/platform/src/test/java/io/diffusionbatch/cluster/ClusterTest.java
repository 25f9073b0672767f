package io.diffusionbatch.cluster;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.job.GenerationJobTest;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.local.LocalKafka;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cluster mode in one JVM (the separate processes, kill -9 and SIGTERM are the app module's
 * {@code ClusterIT}): a manager and two workers on one PostgreSQL and one broker that this test owns.
 * The partitions of a run go to the workers and every item gets one output; a partition claimed by a
 * worker that never comes back (a ghost holder whose lease runs out) is queued again, with a
 * {@code redispatched} event, and completed by a live worker; a partition request delivered twice
 * runs its partition once; a partition lost by max-attempts workers fails its run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

    private static Path dir;
    private static LocalPostgres postgres;
    private static LocalKafka kafka;
    private static ConfigurableApplicationContext manager;
    private static final List<ConfigurableApplicationContext> workers = new ArrayList<>();

    @BeforeAll
    static void cluster() throws Exception {
        dir = Files.createTempDirectory("diffusion-cluster-");
        postgres = LocalPostgres.start(dir.resolve("pg"), 0);
        kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        TopicAdmin.ensureTopics(settings());
        manager = start(Roles.MANAGER, "manager");
    }

    @AfterAll
    static void stop() {
        workers.forEach(ConfigurableApplicationContext::close);
        if (manager != null) {
            manager.close();
        }
        kafka.close();
        postgres.close();
    }

    private static DiffusionProperties.Kafka settings() {
        return new DiffusionProperties.Kafka(kafka.bootstrapServers(), "requests", "events", "requests.dlt",
                "diffusion-intake", null);
    }

    private static ConfigurableApplicationContext start(String role, String name) {
        return DiffusionBatchApplication.start(role,
                "--diffusion.local.mode=off",
                "--spring.datasource.url=" + postgres.jdbcUrl(),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--diffusion.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--diffusion.data-dir=" + dir.resolve(name),
                "--diffusion.output-root=" + dir.resolve("outputs"),
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                "--diffusion.models.tiny.kind=image",
                "--diffusion.job.grid-size=4", "--diffusion.job.min-partition-batches=0",
                "--diffusion.job.batch-size=2", "--diffusion.job.lease=4s",
                "--diffusion.cluster.poll-interval=300ms", "--diffusion.cluster.max-attempts=2",
                "--diffusion.web.port=-1", "--diffusion.energy.source=estimate");
    }

    private static synchronized void ensureWorkers(int n) {
        while (workers.size() < n) {
            workers.add(start(Roles.WORKER, "worker" + workers.size()));
        }
    }

    private static void send(String id, String json) throws Exception {
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(settings(), "test")) {
            p.send(new ProducerRecord<>("requests", id, json.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static JdbcClient jdbc() {
        return manager.getBean(JdbcClient.class);
    }

    @Test
    @Order(2)
    void aRunsPartitionsRunOnTheWorkersAndEveryItemGetsOneOutput() throws Exception {
        ensureWorkers(2);
        String id = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
        send(id, GenerationJobTest.request(id, "tiny", 8, 5, 4, 0, "cluster/" + id));
        RequestRow run = finished(id, Duration.ofSeconds(180));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);

        List<Map<String, Object>> rows = jdbc().sql("SELECT i.idx, i.attempts, o.path, o.sha256 FROM items i "
                + "JOIN outputs o USING (request_id, idx) WHERE i.request_id = ? ORDER BY i.idx").param(run.id())
                .query().listOfRows();
        assertThat(rows).hasSize(40);
        Path folder = dir.resolve("outputs").resolve(run.outputDir());
        for (Map<String, Object> r : rows) {
            byte[] png = Files.readAllBytes(folder.resolve((String) r.get("path")));
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)))
                    .as("item %s", r.get("idx")).isEqualTo(r.get("sha256"));
            assertThat(((Number) r.get("attempts")).intValue()).as("made once").isEqualTo(1);
        }
        try (var files = Files.list(folder)) {
            assertThat(files.filter(f -> f.toString().endsWith(".png")).count()).as("one file per item").isEqualTo(40);
        }
        List<PartitionStore.Attempt> attempts = manager.getBean(PartitionStore.class).attempts(run.id());
        assertThat(attempts).hasSize(4).allSatisfy(a -> assertThat(a.outcome()).isEqualTo("completed"));
        assertThat(attempts).extracting(PartitionStore.Attempt::worker)
                .as("run by the workers, not the manager").doesNotContain(managerId())
                .allSatisfy(w -> assertThat(workerIds()).contains(w));
        assertThat(jdbc().sql("SELECT count(*) FROM partitions WHERE request_id = ? AND state = 'done'")
                .param(run.id()).query(Long.class).single()).isEqualTo(4);
        assertThat(jdbc().sql("SELECT items_per_second FROM run_stats WHERE request_id = ?").param(run.id())
                .query(Double.class).single()).as("throughput from the workers' step times").isPositive();
        assertThat(jdbc().sql("SELECT DISTINCT hardware FROM item_stats WHERE request_id = ?").param(run.id())
                .query((rs, n) -> Optional.ofNullable(rs.getString(1))).list())
                .as("the processor that made each item").containsExactly(
                        io.diffusionbatch.energy.Hardware.of("cpu", new io.diffusionbatch.energy.EstimatedMeter(1)));
    }

    /**
     * Before any worker runs, a ghost claims a partition and never renews it: when its lease runs out
     * the manager queues the partition again (its step execution back to STARTING) with a
     * {@code redispatched} event, a live worker completes it, and no item is made twice.
     */
    @Test
    @Order(1) // before any worker starts: the ghost claims first
    void aPartitionWhoseWorkerDiedRunsAgainOnAnotherWorker() throws Exception {
        String id = "ghost-" + UUID.randomUUID().toString().substring(0, 8);
        boolean noWorkersYet = workers.isEmpty();
        PartitionStore partitions = manager.getBean(PartitionStore.class);
        RequestStore requests = manager.getBean(RequestStore.class);
        // priority: a ghost claim takes this run's partition even when another run's are queued
        send(id, GenerationJobTest.request(id, "tiny", 4, 4, 4, 900, "cluster/" + id));
        long runId = await(() -> requests.findByClientId(id).filter(r -> queued(r.id()) > 0).map(RequestRow::id),
                Duration.ofSeconds(60), "partitions queued");
        String ghost = "ghost-host:999999:dead";
        PartitionStore.Claim claim = await(() -> partitions.claim(ghost, Duration.ofSeconds(2), null)
                .filter(c -> c.requestId() == runId), Duration.ofSeconds(10), "the ghost's claim");
        ensureWorkers(2);
        RequestRow run = finished(id, Duration.ofSeconds(180));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        List<PartitionStore.Attempt> attempts = partitions.attempts(runId).stream()
                .filter(a -> a.stepExecutionId() == claim.stepExecutionId()).toList();
        assertThat(attempts).extracting(PartitionStore.Attempt::worker, PartitionStore.Attempt::outcome)
                .as("the ghost lost it, a live worker completed it")
                .startsWith(org.assertj.core.groups.Tuple.tuple(ghost, "lost"));
        assertThat(attempts.get(attempts.size() - 1).outcome()).isEqualTo("completed");
        assertThat(jdbc().sql("SELECT count(*) FROM request_events r JOIN requests q ON q.id = r.request_id "
                + "WHERE q.client_request_id = ? AND r.type = 'redispatched'").param(id).query(Long.class).single())
                .as("the re-dispatch is an event").isEqualTo(1);
        assertThat(jdbc().sql("SELECT count(*) FROM items WHERE request_id = ? AND (status <> 'done' OR attempts <> 1)")
                .param(runId).query(Long.class).single()).as("every item made once").isZero();
        if (noWorkersYet) {
            assertThat(workerIds()).hasSize(2);
        }
    }

    /** The same partition request sent twice (and a request for a finished partition) runs nothing twice. */
    @Test
    @Order(3)
    void aRequestDeliveredTwiceRunsItsPartitionOnce() throws Exception {
        ensureWorkers(2);
        String id = "twice-" + UUID.randomUUID().toString().substring(0, 8);
        send(id, GenerationJobTest.request(id, "tiny", 3, 4, 4, 0, "cluster/" + id));
        RequestRow run = finished(id, Duration.ofSeconds(180));
        List<Long> steps = jdbc().sql("SELECT step_execution_id FROM partitions WHERE request_id = ?").param(run.id())
                .query(Long.class).list();
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(settings(), "test")) {
            for (long step : steps) {
                for (int i = 0; i < 2; i++) {
                    p.send(new ProducerRecord<>("partitions", Long.toString(step), PartitionRequests.encode(
                            new StepExecutionRequest("generatePartition", step)))).get();
                }
            }
        }
        Thread.sleep(3_000); // the workers read them (wake-ups) and find nothing to claim
        assertThat(jdbc().sql("SELECT count(*) FROM partition_attempts WHERE request_id = ?").param(run.id())
                .query(Long.class).single()).as("one attempt per partition").isEqualTo(steps.size());
        assertThat(jdbc().sql("SELECT max(attempts) FROM items WHERE request_id = ?").param(run.id())
                .query(Integer.class).single()).isEqualTo(1);
    }

    /**
     * A run capped at one worker ({@code maxWorkers}) never has two partitions running at once though two
     * workers are idle; then a second manager starts as a standby (one active: the advisory lock), and when
     * the active one stops, the standby takes over and completes the next run.
     */
    @Test
    @Order(4)
    void aCappedRunUsesOneWorkerAndAStandbyManagerTakesOver() throws Exception {
        ensureWorkers(2);
        String id = "capped-" + UUID.randomUUID().toString().substring(0, 8);
        send(id, GenerationJobTest.request(id, "tiny", 8, 4, 4, 0, "cluster/" + id)
                .replace("\"priority\"", "\"maxWorkers\": 1, \"priority\""));
        long runId = await(() -> manager.getBean(RequestStore.class).findByClientId(id).map(RequestRow::id),
                Duration.ofSeconds(60), "accepted");
        long most = 0;
        while (!manager.getBean(RequestStore.class).find(runId).orElseThrow().isFinished()) {
            most = Math.max(most, jdbc().sql("SELECT count(*) FROM partitions WHERE request_id = ? AND state = 'running'")
                    .param(runId).query(Long.class).single());
            Thread.sleep(50);
        }
        assertThat(manager.getBean(RequestStore.class).find(runId).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(most).as("partitions of the capped run running at once").isEqualTo(1);
        assertThat(jdbc().sql("SELECT count(*) FROM partitions WHERE request_id = ?").param(runId).query(Long.class)
                .single()).isEqualTo(4);

        ConfigurableApplicationContext standby = start(Roles.MANAGER, "standby");
        ManagerLeadership first = manager.getBean(ManagerLeadership.class);
        ManagerLeadership second = standby.getBean(ManagerLeadership.class);
        Thread.sleep(1_000);
        assertThat(first.mayDispatch()).as("the first manager stays active").isTrue();
        assertThat(second.mayDispatch()).as("the second is a standby").isFalse();
        manager.close();
        manager = standby;
        await(() -> Optional.of(second).filter(ManagerLeadership::mayDispatch), Duration.ofSeconds(10),
                "the standby takes over");
        String next = "after-" + UUID.randomUUID().toString().substring(0, 8);
        send(next, GenerationJobTest.request(next, "tiny", 2, 2, 4, 0, "cluster/" + next));
        assertThat(finished(next, Duration.ofSeconds(120)).status()).isEqualTo(RunStatus.COMPLETED);
    }

    private static long queued(long runId) {
        return jdbc().sql("SELECT count(*) FROM partitions WHERE request_id = ? AND state = 'queued'").param(runId)
                .query(Long.class).single();
    }

    private static String managerId() {
        return manager.getBean(io.diffusionbatch.job.ServerInstance.class).id();
    }

    private static List<String> workerIds() {
        return workers.stream().map(w -> w.getBean(io.diffusionbatch.job.ServerInstance.class).id()).toList();
    }

    private static RequestRow finished(String id, Duration timeout) throws InterruptedException {
        RequestStore requests = manager.getBean(RequestStore.class);
        return await(() -> requests.findByClientId(id).filter(RequestRow::isFinished), timeout, "run " + id + " finished");
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
