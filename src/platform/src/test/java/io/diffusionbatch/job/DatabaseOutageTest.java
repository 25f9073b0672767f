package io.diffusionbatch.job;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.local.LocalServices;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.Dashboard;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.infrastructure.item.ExecutionContext;
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
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL stops in the middle of a run while the server keeps running, then comes back: the
 * run completes with every item made once (one output row, one file, its sha256 right), no
 * execution is left running or UNKNOWN, and nothing but the outputs stays in the run's folder.
 * Twice: an outage shorter than {@code diffusion.job.database-wait} (the workers wait and go on)
 * and one longer than it (the partitions stop; the dispatcher recovers the execution and restarts
 * it when the database is back). While the database is away the dashboard says so at once (503)
 * and readiness is DOWN. A server of its own, so the shared test server's database is never
 * stopped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // stopping and starting PostgreSQL take seconds themselves: on a loaded 2-core machine the "short" outage
    // (1 s asked, plus the dashboard checks and the restart) once lasted over 12 s, so the wait leaves room for that
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static ConfigurableApplicationContext ctx;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("diffusion-outage-");
        ctx = serve();
    }

    private static ConfigurableApplicationContext serve() {
        return TestServer.ownServer(dir,
                "--diffusion.job.grid-size=3",
                "--diffusion.job.database-wait=" + WAIT.toSeconds() + "s",
                "--diffusion.web.port=0",
                // a pool that waits long for a connection: the dashboard must not wait for it
                "--spring.datasource.hikari.connection-timeout=30000");
    }

    @AfterAll
    static void stop() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    @Order(1)
    void anOutageShorterThanTheWaitIsWaitedOut() throws Exception {
        outageMidRun("short", Duration.ofSeconds(1));
    }

    @Test
    @Order(2)
    void anOutageLongerThanTheWaitStopsThePartitionsAndTheRunIsRecovered() throws Exception {
        long executions = outageMidRun("long", WAIT.plusSeconds(8));
        assertThat(executions).as("the stale execution was recovered and restarted").isGreaterThanOrEqualTo(2);
    }

    /**
     * The server is stopped (as by SIGTERM) while its database is away: it stops within seconds,
     * not after the pool's timeouts, and the next start on the same data resumes the run.
     */
    @Test
    @Order(3)
    void aStopWhileTheDatabaseIsAwayIsQuickAndTheNextStartResumesTheRun() throws Exception {
        RequestStore requests = ctx.getBean(RequestStore.class);
        JdbcClient jdbc = ctx.getBean(JdbcClient.class);
        String id = "stop-" + UUID.randomUUID().toString().substring(0, 8);
        submit(id, 2);
        RequestRow run = await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 2),
                Duration.ofSeconds(120), "2 items done before the outage");
        ctx.getBean("localServices", LocalServices.Running.class).stopPostgres();
        long t0 = System.nanoTime();
        ctx.close();
        long seconds = (System.nanoTime() - t0) / 1_000_000_000;
        // the old code took about 2 minutes (a 120 s join behind 10 s pool timeouts); 10 s here when idle
        assertThat(seconds).as("a graceful stop is not held up by the outage").isLessThan(30);

        ctx = serve();
        RequestRow end = await(() -> ctx.getBean(RequestStore.class).find(run.id()).filter(RequestRow::isFinished),
                Duration.ofSeconds(180), "the run ends after the next start");
        assertThat(end.status()).as(end.message()).isEqualTo(RunStatus.COMPLETED);
        assertThat(ctx.getBean(JdbcClient.class).sql("SELECT count(*) FROM outputs WHERE request_id = ?")
                .param(run.id()).query(Long.class).single()).isEqualTo(20);
    }

    /**
     * Another replica's running execution in the shared job repository is not stopped when this
     * server stops: only this process's own executions are (they resume at its next start).
     */
    @Test
    @Order(4)
    void aStoppingServerStopsOnlyItsOwnExecutions() throws Exception {
        JobRepository repository = ctx.getBean(JobRepository.class);
        JobParameters theirs = new JobParametersBuilder().addLong(GenerationJobConfig.REQUEST_ID, -4242L)
                .toJobParameters();
        JobInstance instance = repository.createJobInstance(GenerationJobConfig.JOB, theirs);
        JobExecution other = repository.createJobExecution(instance, theirs, new ExecutionContext());
        other.setStatus(BatchStatus.STARTED);
        other.setStartTime(LocalDateTime.now());
        repository.update(other);

        RequestStore requests = ctx.getBean(RequestStore.class);
        JdbcClient jdbc = ctx.getBean(JdbcClient.class);
        String id = "own-" + UUID.randomUUID().toString().substring(0, 8);
        submit(id, 2);
        RequestRow run = await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 2),
                Duration.ofSeconds(120), "2 items done before the stop");
        ctx.close();

        ctx = serve();
        JobExecution after = ctx.getBean(JobRepository.class).getJobExecution(other.getId());
        assertThat(after.getStatus()).as("the other replica's execution").isEqualTo(BatchStatus.STARTED);
        RequestRow end = await(() -> ctx.getBean(RequestStore.class).find(run.id()).filter(RequestRow::isFinished),
                Duration.ofSeconds(180), "this server's own run resumes and ends");
        assertThat(end.status()).isEqualTo(RunStatus.COMPLETED);
    }

    /** @return the number of job executions the run took */
    private long outageMidRun(String name, Duration outage) throws Exception {
        JdbcClient jdbc = ctx.getBean(JdbcClient.class);
        RequestStore requests = ctx.getBean(RequestStore.class);
        DatabaseWatch watch = ctx.getBean(DatabaseWatch.class);
        LocalServices.Running services = ctx.getBean("localServices", LocalServices.Running.class);
        String base = ctx.getBean(Dashboard.class).url().orElseThrow().toString();

        String id = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        int items = 30;
        submit(id, 3);
        RequestRow run = await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 4),
                Duration.ofSeconds(120), "4 items done before the outage");
        assertThat(done(jdbc, run.id())).as("the outage starts mid-run").isLessThan(items);

        services.stopPostgres();
        long stoppedAt = System.nanoTime();
        try {
            await(() -> watch.available() ? Optional.empty() : Optional.of(true), Duration.ofSeconds(5),
                    "the watch sees the outage");
            long t0 = System.nanoTime();
            HttpResponse<String> page = get(base);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(page.statusCode()).as(page.body()).isEqualTo(503);
            assertThat(page.body()).contains("database is unreachable");
            // at once, not after the pool's connection timeout (30 s here); the bound leaves room for a
            // machine busy generating (a second on an idle one)
            assertThat(ms).as("the dashboard answers without waiting for the pool").isLessThan(5_000);
            HttpResponse<String> api = get(base + "api/runs");
            assertThat(api.statusCode()).isEqualTo(503);
            assertThat(api.body()).contains("\"status\":503").contains("unreachable");
            HttpResponse<String> ready = get(base + "actuator/health/readiness");
            assertThat(ready.statusCode()).isEqualTo(503);
            long left = outage.toNanos() - (System.nanoTime() - stoppedAt);
            if (left > 0) {
                Thread.sleep(left / 1_000_000);
            }
        } finally {
            services.startPostgres();
            System.out.printf("database outage '%s': %.1f s from stop to started%n", name,
                    (System.nanoTime() - stoppedAt) / 1e9);
        }

        RequestRow end = await(() -> requests.find(run.id()).filter(RequestRow::isFinished), Duration.ofSeconds(180),
                "the run ends after the database is back");
        assertThat(end.status()).as(end.message()).isEqualTo(RunStatus.COMPLETED);
        assertThat(jdbc.sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done' AND attempts >= 1")
                .param(run.id()).query(Long.class).single()).isEqualTo(items);
        List<Map<String, Object>> outputs = jdbc.sql("SELECT path, sha256 FROM outputs WHERE request_id = ?")
                .param(run.id()).query().listOfRows();
        assertThat(outputs).as("one output row per item").hasSize(items);
        Path out = ctx.getBean(OutputRoot.class).folder(end.id(), end.outputDir());
        for (Map<String, Object> o : outputs) {
            assertThat(ItemWriter.sha256(out.resolve((String) o.get("path")))).isEqualTo(o.get("sha256"));
        }
        try (Stream<Path> files = Files.walk(out)) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("one PNG and one sidecar per item, nothing else")
                    .hasSize(2 * items);
        }
        // the run's row is final when summarize commits; Spring Batch closes the execution just after
        List<String> stale = List.of();
        for (long until = System.nanoTime() + Duration.ofSeconds(20).toNanos(); System.nanoTime() < until; ) {
            stale = jdbc.sql("SELECT e.job_execution_id || ' ' || e.status || ' ' || s.step_name || ' ' || s.status "
                        + "FROM batch_step_execution s JOIN batch_job_execution e "
                        + "USING (job_execution_id) JOIN batch_job_execution_params p USING (job_execution_id) "
                        + "WHERE p.parameter_name = 'requestId' AND p.parameter_value = ? "
                        + "AND (s.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN') "
                        + "OR e.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN'))")
                .param(Long.toString(run.id())).query(String.class).list();
            if (stale.isEmpty()) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(stale).as("no execution or step left running or UNKNOWN").isEmpty();
        assertThat(jdbc.sql("SELECT count(*) FROM request_events WHERE request_id = ? AND type = 'completed'")
                .param(run.id()).query(Long.class).single()).as("one completed event").isEqualTo(1);
        return jdbc.sql("SELECT count(*) FROM batch_job_execution e JOIN batch_job_execution_params p "
                        + "USING (job_execution_id) WHERE p.parameter_name = 'requestId' AND p.parameter_value = ?")
                .param(Long.toString(run.id())).query(Long.class).single();
    }

    /** Sends a request of 10 prompts × {@code seeds} to the running server's requests topic. */
    private static void submit(String id, int seeds) throws Exception {
        DiffusionProperties.Kafka kafka = ctx.getBean(DiffusionProperties.class).kafka();
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(kafka, "test")) {
            producer.send(new ProducerRecord<>(kafka.requestsTopic(), id, GenerationJobTest.request(id, "tiny", 10, seeds,
                    250, 0, "outage/" + id).getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static long done(JdbcClient jdbc, long run) {
        return jdbc.sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'").param(run)
                .query(Long.class).single();
    }

    private static <T> T await(java.util.function.Supplier<Optional<T>> probe, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Optional<T> v = probe.get();
                if (v.isPresent()) {
                    return v.get();
                }
            } catch (RuntimeException e) {
                // the database may still be coming back
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": not within " + timeout);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/html,application/json")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
