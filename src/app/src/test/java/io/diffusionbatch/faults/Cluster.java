package io.diffusionbatch.faults;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Services and server replicas, each in a process of its own, as in production: a PostgreSQL
 * ({@link LocalPostgres}), a Kafka broker that only speaks SASL/PLAIN ({@link KafkaProcess}), and any
 * number of packaged servers in external mode ({@link ServerProcess}) sharing them and one output
 * root. Sends requests, reads the ledger over JDBC and the events topic from its beginning, and
 * asserts that a run is whole. Every failed wait carries the tail of each replica's log. Not
 * thread-safe.
 */
public final class Cluster implements AutoCloseable {

    /** Small JVMs that start fast: several share a 2-core machine. */
    private static final List<String> JVM = List.of("-Xmx768m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

    private final Path dir;
    private final LocalPostgres postgres;
    private final KafkaProcess kafka;
    private final List<ServerProcess> replicas = new ArrayList<>();

    private Cluster(Path dir, LocalPostgres postgres, KafkaProcess kafka) {
        this.dir = dir;
        this.postgres = postgres;
        this.kafka = kafka;
    }

    /** Starts PostgreSQL and the broker under a new temporary folder, and creates the topics. */
    public static Cluster start(String prefix) throws Exception {
        Path dir = Files.createTempDirectory(prefix);
        LocalPostgres postgres = LocalPostgres.start(dir.resolve("postgres"), 0);
        KafkaProcess kafka;
        try {
            kafka = KafkaProcess.start(dir.resolve("kafka"), Duration.ofSeconds(120));
        } catch (Exception | AssertionError e) {
            postgres.close();
            throw e;
        }
        Cluster c = new Cluster(dir, postgres, kafka);
        TopicAdmin.ensureTopics(c.kafkaSettings()); // requests may be sent before any server is up
        return c;
    }

    public Path dir() {
        return dir;
    }

    public KafkaProcess kafka() {
        return kafka;
    }

    /** The test's own Kafka client settings: the broker's address, the topics, SASL/PLAIN. */
    public DiffusionProperties.Kafka kafkaSettings() {
        return new DiffusionProperties.Kafka(kafka.bootstrapServers(), "requests", "events", "requests.dlt",
                "diffusion-intake", null).withProperties(KafkaProcess.clientSettings(), null, null, null);
    }

    /**
     * The arguments of replica {@code name}: external mode on this cluster's PostgreSQL and broker
     * (over SASL), its own data directory, the shared output root, the {@code tiny} test model, no
     * web server, small micro-batches and partitions.
     */
    public List<String> serverArgs(String name) {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir", dir.resolve("replicas").resolve(name).toString(),
                "--diffusion.local.mode=off",
                "--spring.datasource.url=" + postgres.jdbcUrl(),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--diffusion.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--diffusion.output-root=" + outputRoot(),
                "--diffusion.models.tiny.path=" + Path.of("src/engine/src/test/resources/models/tiny-sd").toAbsolutePath(),
                "--diffusion.models.tiny.kind=image",
                "--diffusion.web.port=-1", "--diffusion.energy.source=estimate",
                "--diffusion.job.batch-size=2", "--diffusion.job.grid-size=3",
                "--diffusion.job.min-partition-batches=0", "--diffusion.job.threads=1"));
        KafkaProcess.clientSettings().forEach((k, v) -> args.add("--diffusion.kafka.properties." + k + "=" + v));
        return args;
    }

    /**
     * Starts replica {@code name} with {@link #serverArgs} and {@code extra} ({@code --key=value}; an
     * extra key replaces the same key of {@link #serverArgs}, as Spring would join a repeated one's
     * values with commas); does not wait for it.
     */
    public ServerProcess replica(String name, String... extra) throws IOException {
        return launch("serve", name, merged(serverArgs(name), List.of(extra)));
    }

    /**
     * Cluster mode's settings added to {@link #serverArgs} for its roles: a short lease (6 s: long
     * enough to heartbeat under load, short enough that a lost partition is re-queued soon) and a
     * fast poll (500 ms: partition ends, expired leases, an idle worker's look at the queue).
     */
    public static final List<String> CLUSTER_ARGS = List.of("--diffusion.job.lease=PT6S",
            "--diffusion.cluster.poll-interval=500ms");

    /**
     * Starts cluster mode's manager {@code name} ({@code diffusion-batch.jar manager}) with
     * {@link #serverArgs}, {@link #CLUSTER_ARGS} and {@code extra} (which win, as for {@link #replica});
     * does not wait for it.
     */
    public ServerProcess manager(String name, String... extra) throws IOException {
        return launch("manager", name, merged(merged(serverArgs(name), CLUSTER_ARGS), List.of(extra)));
    }

    /** Starts cluster mode's worker {@code name} ({@code diffusion-batch.jar worker}), as {@link #manager}. */
    public ServerProcess worker(String name, String... extra) throws IOException {
        return launch("worker", name, merged(merged(serverArgs(name), CLUSTER_ARGS), List.of(extra)));
    }

    /** {@code args} with {@code extra} added, each extra key replacing the same key of {@code args}. */
    private static List<String> merged(List<String> args, List<String> extra) {
        Set<String> keys = extra.stream().map(Cluster::key).collect(java.util.stream.Collectors.toSet());
        List<String> out = new ArrayList<>(args);
        out.removeIf(a -> a.startsWith("--") && keys.contains(key(a)));
        out.addAll(extra);
        return out;
    }

    private static String key(String arg) {
        int eq = arg.indexOf('=');
        return eq < 0 ? arg : arg.substring(0, eq);
    }

    /** Starts a replica with exactly these arguments, its log in {@code logs/NAME.log}; does not wait for it. */
    public ServerProcess replica(String name, List<String> args) throws IOException {
        return launch("serve", name, args);
    }

    /**
     * Starts {@code diffusion-batch.jar COMMAND} ({@code serve}, {@code manager}, {@code worker}) with
     * exactly these arguments, its log in {@code logs/NAME.log}; does not wait for it.
     */
    public ServerProcess launch(String command, String name, List<String> args) throws IOException {
        List<String> jvm = new ArrayList<>(JVM);
        // a crash report beside the log, not in the working tree
        jvm.add("-XX:ErrorFile=" + dir.resolve("logs").resolve(name + "-hs_err_%p.log"));
        ServerProcess p = ServerProcess.start(command, name, jvm, args, Map.of(), null,
                dir.resolve("logs").resolve(name + ".log"));
        replicas.add(p);
        return p;
    }

    /** Waits until each of these replicas serves. */
    public void awaitStarted(ServerProcess... servers) throws InterruptedException {
        for (ServerProcess s : servers) {
            try {
                s.awaitStarted(Duration.ofSeconds(240));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + diagnostics(), e);
            }
        }
    }

    /** The replica whose process holds the lease named {@code owner} ({@code host:pid:random}); null when none. */
    public ServerProcess replicaOf(String owner) {
        if (owner == null) {
            return null;
        }
        String[] parts = owner.split(":");
        return replicas.stream().filter(r -> parts.length == 3 && parts[1].equals(Long.toString(r.pid())))
                .findFirst().orElse(null);
    }

    /** Stops every replica still running (SIGTERM, SIGKILL after 60 s) and forgets them all. */
    public void stopReplicas() throws InterruptedException {
        for (ServerProcess r : replicas) {
            r.close();
        }
        replicas.clear();
    }

    /**
     * Marks every run that is not finished failed, once no replica runs: what a test left behind
     * (e.g. after a failure) is then not resumed by the next test's replicas.
     */
    public void abandonUnfinishedRuns() throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
             Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE requests SET status = 'failed', finished_at = now(), "
                    + "message = 'abandoned by the test that sent it' "
                    + "WHERE status IN ('accepted', 'running', 'cancelling')");
        }
    }

    /** The tail of every replica's log, and of the broker's. */
    public String diagnostics() {
        StringBuilder b = new StringBuilder();
        replicas.forEach(r -> b.append(r.tail(60)).append('\n'));
        b.append("---- kafka:\n").append(kafka.tail(15));
        return b.toString();
    }

    @Override
    public void close() throws Exception {
        try {
            stopReplicas();
        } finally {
            try {
                kafka.close();
            } finally {
                postgres.close();
            }
        }
    }

    // ---- requests ----

    /** A unique client request id. */
    public static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Sends these requests (client request id to JSON) at once: every record before waiting for any acknowledgement. */
    public void send(Map<String, String> requests) throws Exception {
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(kafkaSettings(), "test")) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            requests.forEach((id, json) -> sent.add(p.send(new ProducerRecord<>("requests", id,
                    json.getBytes(StandardCharsets.UTF_8)))));
            for (Future<RecordMetadata> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    // ---- the ledger ----

    /** The first column of the first row as a long (0 for NULL). */
    public long scalar(String sql, Object... params) throws SQLException {
        Object v = value(sql, params);
        return v == null ? 0 : ((Number) v).longValue();
    }

    /** The first column of the first row (null when no row). */
    public Object value(String sql, Object... params) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
             PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    /** Every row, each as column label to value in column order. */
    public List<Map<String, Object>> rows(String sql, Object... params) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
             PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                List<Map<String, Object>> out = new ArrayList<>();
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= n; i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
                return out;
            }
        }
    }

    /**
     * One attempt at a partition of cluster mode (a row of {@code partition_attempts}); {@code worker}
     * is the worker's instance ({@code host:pid:random}), {@code outcome} null while it runs.
     */
    public record Attempt(long stepExecutionId, String name, int attempt, String worker, Instant startedAt,
                          Instant endedAt, String outcome) {
    }

    /** Every attempt at the partitions of {@code run}, in the order they started. */
    public List<Attempt> attempts(long run) throws SQLException {
        List<Attempt> out = new ArrayList<>();
        for (Map<String, Object> r : rows("SELECT a.step_execution_id, p.name, a.attempt, a.worker, a.started_at, "
                + "a.ended_at, a.outcome FROM partition_attempts a JOIN partitions p USING (step_execution_id) "
                + "WHERE a.request_id = ? ORDER BY a.started_at, a.step_execution_id, a.attempt", run)) {
            out.add(new Attempt(((Number) r.get("step_execution_id")).longValue(), (String) r.get("name"),
                    ((Number) r.get("attempt")).intValue(), (String) r.get("worker"), instant(r.get("started_at")),
                    instant(r.get("ended_at")), (String) r.get("outcome")));
        }
        return out;
    }

    private static Instant instant(Object timestamp) {
        return timestamp == null ? null : ((Timestamp) timestamp).toInstant();
    }

    /** Waits until the request {@code clientId} is in the ledger; its run id. */
    public long awaitRun(String clientId, Duration timeout) throws Exception {
        long[] run = {0};
        await(() -> (run[0] = scalar("SELECT coalesce(max(id), 0) FROM requests WHERE client_request_id = ?", clientId)) > 0,
                timeout, "request " + clientId + " accepted");
        return run[0];
    }

    /**
     * Waits until {@code run} has at least {@code done} items done.
     *
     * @throws AssertionError at once when the run finishes with fewer
     */
    public void awaitItemsDone(long run, long done, Duration timeout) throws Exception {
        await(() -> {
            if (itemsDone(run) >= done) {
                return true;
            }
            if (TERMINAL.contains(status(run))) {
                throw new AssertionError("run " + run + " is " + status(run) + " with " + itemsDone(run)
                        + " items done, not " + done + ": " + value("SELECT message FROM requests WHERE id = ?", run)
                        + "\n" + diagnostics());
            }
            return false;
        }, timeout, done + " items of run " + run + " done");
    }

    public long itemsDone(long run) throws SQLException {
        return scalar("SELECT count(*) FROM items WHERE status = 'done' AND request_id = ?", run);
    }

    /** The lease holder of {@code run} (null before it started). */
    public String owner(long run) throws SQLException {
        return (String) value("SELECT owner FROM requests WHERE id = ?", run);
    }

    public String status(long run) throws SQLException {
        return (String) value("SELECT status FROM requests WHERE id = ?", run);
    }

    /** The owners and the first and last lease ends seen while watching a run, and its last status. */
    public record Watched(Set<String> owners, Instant firstLease, Instant lastLease, String status) {
    }

    /** Polls {@code run} until it is completed, failed or cancelled, noting every owner and lease end it shows meanwhile. */
    public Watched watchUntilFinished(long run, Duration timeout) throws Exception {
        return watch(run, w -> TERMINAL.contains(w.status()), timeout, "run " + run + " finished");
    }

    /**
     * Polls {@code run} (every 200 ms) until {@code until} holds for what was seen so far, noting every
     * owner and lease end it shows meanwhile.
     */
    public Watched watch(long run, Predicate<Watched> until, Duration timeout, String what) throws Exception {
        Set<String> owners = new LinkedHashSet<>();
        Watched[] seen = {new Watched(owners, null, null, null)};
        await(() -> {
            try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
                 PreparedStatement s = c.prepareStatement("SELECT status, owner, lease_until FROM requests WHERE id = ?")) {
                s.setLong(1, run);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getString(2) != null) {
                        owners.add(rs.getString(2));
                    }
                    Timestamp t = rs.getTimestamp(3);
                    Instant lease = t == null ? null : t.toInstant();
                    Watched w = seen[0];
                    seen[0] = new Watched(owners, w.firstLease() == null ? lease : w.firstLease(),
                            lease == null ? w.lastLease() : lease, rs.getString(1));
                }
            }
            return until.test(seen[0]);
        }, timeout, what);
        return seen[0];
    }

    /** How many job executions the run's job instances have (one for a run that never stopped). */
    public long jobExecutions(long run) throws SQLException {
        return scalar("SELECT count(*) FROM batch_job_execution_params WHERE parameter_name = 'requestId' "
                + "AND parameter_value = ?", Long.toString(run));
    }

    /** How many job instances the run has (one, however often it was resumed). */
    public long jobInstances(long run) throws SQLException {
        return scalar("SELECT count(DISTINCT e.job_instance_id) FROM batch_job_execution e "
                + "JOIN batch_job_execution_params p USING (job_execution_id) "
                + "WHERE p.parameter_name = 'requestId' AND p.parameter_value = ?", Long.toString(run));
    }

    /** How many events of this type the ledger recorded for the run. */
    public long ledgerEvents(long run, String type) throws SQLException {
        return scalar("SELECT count(*) FROM request_events WHERE request_id = ? AND type = ?", run, type);
    }

    /** Item index to {@code finished_at} of the run's done items. */
    public Map<Long, String> doneItems(long run) throws SQLException {
        Map<Long, String> done = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
             PreparedStatement s = c.prepareStatement(
                     "SELECT idx, finished_at::text FROM items WHERE status = 'done' AND request_id = ?")) {
            s.setLong(1, run);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    done.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return done;
    }

    /** The output root every replica shares. */
    public Path outputRoot() {
        return dir.resolve("outputs");
    }

    /**
     * The run completed once and is whole: status {@code completed}, every item done with one output
     * row and the right sha256 on disk, nothing else in its folder, one job instance, no execution
     * or step left running, one {@code completed} event in the ledger.
     */
    public void assertRunIsWhole(long run, int items) throws Exception {
        String why = "run " + run + "\n" + diagnostics();
        assertThat(status(run)).as("status of " + why).isEqualTo("completed");
        assertThat(scalar("SELECT item_count FROM requests WHERE id = ?", run)).as(why).isEqualTo(items);
        assertThat(itemsDone(run)).as("every item done, " + why).isEqualTo(items);
        assertThat(scalar("SELECT count(*) FROM outputs WHERE request_id = ?", run)).as("one output row each, " + why)
                .isEqualTo(items);
        // the ledger keeps the run's folder relative to the shared output root
        Path dir = outputRoot().resolve((String) value("SELECT output_dir FROM requests WHERE id = ?", run));
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "postgres");
             PreparedStatement s = c.prepareStatement("SELECT path, sha256 FROM outputs WHERE request_id = ?")) {
            s.setLong(1, run);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    assertThat(ItemWriter.sha256(dir.resolve(rs.getString(1)))).as(rs.getString(1) + " of " + why)
                            .isEqualTo(rs.getString(2));
                }
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).toList())
                    .as("one PNG and one sidecar per item, nothing else, " + why).hasSize(2 * items);
        }
        assertThat(jobInstances(run)).as("job instances, " + why).isEqualTo(1);
        // the run's row is final when summarize commits; Spring Batch closes the execution just after
        await(() -> scalar("SELECT count(*) FROM batch_step_execution s JOIN batch_job_execution e "
                        + "USING (job_execution_id) JOIN batch_job_execution_params p USING (job_execution_id) "
                        + "WHERE p.parameter_name = 'requestId' AND p.parameter_value = ? "
                        + "AND (s.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN') "
                        + "OR e.status IN ('STARTING', 'STARTED', 'STOPPING', 'UNKNOWN'))", Long.toString(run)) == 0,
                Duration.ofSeconds(30), "no execution or step of run " + run + " left running or UNKNOWN");
        assertThat(ledgerEvents(run, "completed")).as("completed events in the ledger, " + why).isEqualTo(1);
    }

    // ---- the events topic ----

    /** One record of the events topic. */
    public record Event(String key, String type, long runId, String eventId) {
        /** The identity of the event: its {@code eventId} where events carry one, else the record itself. */
        Object identity(int offset) {
            return eventId != null ? eventId : offset;
        }
    }

    /**
     * The events topic's records keyed by these client request ids, read from the beginning until
     * {@code enough} holds for them, then on to the topic's end; or until {@code timeout} passes (then
     * what was read).
     */
    public List<Event> events(Collection<String> keys, Predicate<List<Event>> enough, Duration timeout) {
        List<Event> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(kafkaSettings(), "replicas-" + UUID.randomUUID(), "test")) {
            List<TopicPartition> tps = c.partitionsFor("events", Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition("events", p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && !enough.test(out)) {
                poll(c, keys, out);
            }
            // and the rest of the topic as it is now: an event delivered twice may follow the first
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(60));
            while (System.nanoTime() < deadline && end.entrySet().stream()
                    .anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                poll(c, keys, out);
            }
        }
        return out;
    }

    private static void poll(KafkaConsumer<String, byte[]> c, Collection<String> keys, List<Event> out) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
            if (keys.contains(r.key())) {
                JsonNode e = Json.MAPPER.readTree(r.value());
                out.add(new Event(r.key(), e.path("type").asString(), e.path("runId").asLong(),
                        e.hasNonNull("eventId") ? e.path("eventId").asString() : null));
            }
        }
    }

    /**
     * The terminal events ({@code completed}, {@code failed}, {@code cancelled}) per run id, an event
     * delivered more than once (the same {@code eventId}) counted once.
     */
    public static Map<Long, List<String>> terminalEvents(List<Event> events) {
        Map<Long, List<String>> out = new TreeMap<>();
        Set<Object> seen = new LinkedHashSet<>();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (TERMINAL.contains(e.type()) && seen.add(e.identity(i))) {
                out.computeIfAbsent(e.runId(), k -> new ArrayList<>()).add(e.type());
            }
        }
        return out;
    }

    /** The distinct event types per run id, in the order they first arrived. */
    public static Map<Long, List<String>> typesByRun(List<Event> events) {
        Map<Long, List<String>> out = new LinkedHashMap<>();
        events.forEach(e -> {
            List<String> t = out.computeIfAbsent(e.runId(), k -> new ArrayList<>());
            if (!t.contains(e.type())) {
                t.add(e.type());
            }
        });
        return out;
    }

    /** Whether every one of these runs has a terminal event among {@code events}. */
    public static Predicate<List<Event>> terminalFor(Collection<Long> runs) {
        return events -> terminalEvents(events).keySet().containsAll(runs);
    }

    // ---- waiting ----

    /** A condition polled by {@link #await}. */
    public interface Check {
        boolean ok() throws Exception;
    }

    /**
     * Polls {@code check} (every 200 ms) until it holds; a failed poll (e.g. the database not
     * migrated yet) counts as not yet.
     *
     * @throws AssertionError after {@code timeout}, naming {@code what}, with every replica's log tail
     */
    public void await(Check check, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeout
                        + (last == null ? "" : " (last error: " + last + ")") + "\n" + diagnostics());
            }
            Thread.sleep(200);
        }
    }
}
