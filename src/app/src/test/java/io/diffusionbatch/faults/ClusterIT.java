package io.diffusionbatch.faults;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.GenerationJobTest;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cluster mode as deployed: one {@code manager} and several {@code worker} processes of the packaged
 * jar, a PostgreSQL and a Kafka broker (SASL/PLAIN) each in a process of its own, one output root.
 * The services, the manager and three workers are shared by the tests, which run in order; a test
 * that kills or stops a process starts its replacement. Each test asserts on the ledger (runs,
 * items, outputs, {@code partitions}, {@code partition_attempts}, {@code request_events}), on the
 * files (sha256 against {@code outputs}) and, where it matters, on the events topic; measured times
 * go to standard output.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    /**
     * Every process: six partitions per run at most, each of at least four micro-batches of 8 items
     * (32 items: a run of 64 items has two partitions), one ONNX thread per process.
     */
    private static final String[] JOB = {"--diffusion.job.grid-size=6", "--diffusion.job.batch-size=8",
            "--diffusion.job.min-partition-batches=4", "--diffusion.job.threads=1",
            // the test's PostgreSQL takes 60 connections (LocalPostgres), and a pool opens all of its own at
            // start: 12 each (the default) would refuse the fifth process of the seven alive at times
            "--spring.datasource.hikari.maximum-pool-size=6"};
    /** The workers' {@code max.poll.interval.ms}: every partition of the first test runs longer, the longest twice as long. */
    private static final int MAX_POLL_INTERVAL_MS = 4_000;
    /**
     * Workers: their partition consumer must poll at least every {@link #MAX_POLL_INTERVAL_MS} (were a
     * partition run on the consumer's thread, the consumer would leave its group, which would
     * rebalance and deliver the request again); the consumer's warnings are logged (the poll
     * timeout's among them), and so is each partition request a worker reads.
     */
    private static final String[] WORKER = {"--diffusion.kafka.consumer.properties.max.poll.interval.ms="
            + MAX_POLL_INTERVAL_MS, "--logging.level.org.apache.kafka.clients.consumer=WARN",
            "--logging.level.io.diffusionbatch.cluster.ClusterWorker=DEBUG"};
    private static final Duration RUN = Duration.ofSeconds(180);
    /** Steps of the runs a test interrupts: their partitions last long enough to kill or stop a process mid-way. */
    private static final int LONG_STEPS = 500;
    /** Steps of the first test's items: each of its partitions lasts two poll intervals at least. */
    private static final int BIG_STEPS = 400;

    private static Cluster cluster;
    private static ServerProcess manager;
    /** The workers started so far (dead ones too): see {@link #ensureWorkers}. */
    private static final List<ServerProcess> workers = new ArrayList<>();
    private static int started;
    /** Managers started by name so far (manager-1, -2, -3 by the tests; more only after a failure). */
    private static int managersStarted = 3;

    /** A failed test's message ends with the tail of every process's log (unless a wait put it there already). */
    @RegisterExtension
    final TestExecutionExceptionHandler logs = (context, e) -> {
        if (cluster != null && (e.getMessage() == null || !e.getMessage().contains("---- kafka:"))) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
        }
        throw e;
    };

    @BeforeAll
    static void services() throws Exception {
        long t0 = System.nanoTime();
        cluster = Cluster.start("diffusion-cluster-it-"); // not ClusterTest's prefix
        manager = cluster.manager("manager-1", JOB);
        for (int i = 0; i < 3; i++) {
            startWorker();
        }
        cluster.awaitStarted(manager);
        cluster.awaitStarted(workers.toArray(ServerProcess[]::new));
        System.out.printf("cluster up (PostgreSQL, broker, manager, 3 workers) in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stopServices() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A run of 2000 items (six partitions) on three workers: it completes and is whole (every item
     * done once, one output row and one file with its sha256 each); the partitions ran on all three
     * workers, each partition exactly once (one attempt, {@code completed}), and every item was made by
     * the worker whose attempt completed its partition. The request of each partition sent twice more
     * to the partition topic while the run went on (the workers read all three) changes nothing of
     * that. Every partition runs longer than the workers' {@code max.poll.interval.ms} (the longest twice as long), with
     * no poll timeout (neither in the workers' logs nor in the broker's: no worker left its group).
     */
    @Test
    @Order(1)
    void aBigRunIsSpreadOverThreeWorkersAndARedeliveredPartitionRequestRunsOnce() throws Exception {
        String id = Cluster.newId("big");
        int prompts = 500;
        int seeds = 4;
        long t0 = System.nanoTime();
        cluster.send(Map.of(id, request(id, prompts, seeds, BIG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(60));
        cluster.await(() -> cluster.scalar("SELECT count(*) FROM partitions WHERE request_id = ?", run) == 6,
                Duration.ofSeconds(60), "six partitions of run " + run + " queued");
        List<Long> steps = stepExecutions(run);
        redeliver(steps, 2);

        assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
        System.out.printf("run of %d items (6 partitions, 3 workers) completed in %.1f s after it was sent%n",
                prompts * seeds, (System.nanoTime() - t0) / 1e9);
        cluster.assertRunIsWhole(run, prompts * seeds);
        assertMadeOnce(run);

        List<Cluster.Attempt> attempts = cluster.attempts(run);
        assertThat(attempts).as("one attempt per partition, though each request came three times")
                .hasSize(6).allSatisfy(a -> assertThat(a.outcome()).isEqualTo("completed"));
        assertThat(attempts.stream().map(Cluster.Attempt::stepExecutionId).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(steps);
        Set<String> ranOn = attempts.stream().map(a -> cluster.replicaOf(a.worker()))
                .map(p -> p == null ? "?" : p.name()).collect(Collectors.toSet());
        assertThat(ranOn).as("the workers that ran the partitions").containsExactlyInAnyOrder("worker-1", "worker-2",
                "worker-3");
        assertItemsMadeByTheCompletingWorker(run);

        List<Long> millis = attempts.stream().map(a -> Duration.between(a.startedAt(), a.endedAt()).toMillis()).toList();
        System.out.printf("partitions of %d items ran %s ms (workers' max.poll.interval.ms %d)%n", prompts * seeds / 6,
                millis, MAX_POLL_INTERVAL_MS);
        // the partitions of the worker that took two ran half as long as the others (CI saw 4 to 8 s at 250 steps)
        assertThat(millis).as("milliseconds each partition ran (else make them longer)")
                .allSatisfy(t -> assertThat(t).isGreaterThan((long) MAX_POLL_INTERVAL_MS));
        assertThat(java.util.Collections.max(millis)).as("the longest partition").isGreaterThanOrEqualTo(
                2L * MAX_POLL_INTERVAL_MS);
        for (ServerProcess w : workers) {
            assertThat(ServerProcess.logSince(w.log(), 0).toLowerCase()).as("log of " + w.name())
                    .doesNotContain("poll timeout has expired");
        }
        assertThat(ServerProcess.logSince(cluster.kafka().log(), 0).toLowerCase())
                .as("the broker's log: no worker left its group for a poll timeout").doesNotContain("poll timeout");
        Map<Long, Long> reads = new java.util.TreeMap<>();
        for (long step : steps) {
            for (ServerProcess w : workers) {
                reads.merge(step, ServerProcess.logSince(w.log(), 0).lines()
                        .filter(l -> l.endsWith("partition request for step execution " + step)).count(), Long::sum);
            }
        }
        System.out.println("times the workers read each partition request (step execution=reads): " + reads);
        // a record read before the group's first rebalance (the workers joining) may be read again
        assertThat(reads.values()).as("times the workers read each partition request (sent once by the manager, "
                + "twice by the test): every copy reached a worker").allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(3));
    }

    /**
     * {@code kill -9} of a worker in the middle of a partition (it has made items of it, the others
     * are pending): when its lease runs out the manager queues the partition again, with a
     * {@code redispatched} event (ledger and topic), and another worker completes it: the audit shows
     * the dead worker's {@code lost} attempt, then the other's {@code completed} one. The run is whole;
     * only the micro-batch in flight at the kill is made again (the same file, one output row), the
     * items done before it are not.
     */
    @Test
    @Order(2)
    void aWorkerKilledMidPartitionHasItsPartitionCompletedByAnother() throws Exception {
        ensureWorkers(3);
        String id = Cluster.newId("kill");
        int items = 80; // two partitions: a worker stays idle and takes the lost one at once
        cluster.send(Map.of(id, request(id, items, 1, LONG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(60));
        Held held = awaitHolderWithItemsDone(run, 8);
        ServerProcess victim = held.process();

        victim.kill();
        long killedAt = System.currentTimeMillis();
        Map<Long, String> doneBefore = cluster.doneItems(run);
        startWorker(); // the replacement, for the next tests
        cluster.await(() -> cluster.scalar("SELECT count(*) FROM partition_attempts WHERE step_execution_id = ? "
                        + "AND attempt = 2", held.stepExecutionId()) == 1, Duration.ofSeconds(60),
                "the partition of the killed worker claimed again");
        long reclaimMs = epochMillis("SELECT started_at FROM partition_attempts WHERE step_execution_id = ? AND attempt = 2",
                held.stepExecutionId()) - killedAt;
        System.out.printf("kill -9 of %s (%d items of its partition made) -> partition claimed by the next worker "
                + "after %d ms (lease 6 s)%n", victim.name(), held.itemsDone(), reclaimMs);

        assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
        cluster.assertRunIsWhole(run, items);
        List<Cluster.Attempt> attempts = attemptsAt(run, held.stepExecutionId());
        assertThat(attempts).as("attempts at the killed worker's partition")
                .extracting(Cluster.Attempt::worker, Cluster.Attempt::outcome).hasSize(2)
                .first().isEqualTo(org.assertj.core.groups.Tuple.tuple(held.worker(), "lost"));
        Cluster.Attempt next = attempts.get(1);
        assertThat(next.outcome()).as("the second attempt").isEqualTo("completed");
        assertThat(cluster.replicaOf(next.worker())).as("the worker of the second attempt").isNotNull()
                .isNotSameAs(victim);
        assertThat(reclaimMs).as("claimed again only after the dead worker's lease ran out").isGreaterThan(0);
        assertThat(cluster.scalar("SELECT count(*) FROM items i JOIN item_stats s USING (request_id, idx) "
                        + "WHERE i.request_id = ? AND s.partition_name = ? AND split_part(i.worker, ':', 2) = ?",
                run, held.name(), pid(next.worker()))).as("items of the partition made by the next worker").isPositive();
        assertThat(cluster.attempts(run).stream().filter(a -> a.stepExecutionId() != held.stepExecutionId()))
                .as("the other partition's attempts").singleElement()
                .extracting(Cluster.Attempt::outcome).isEqualTo("completed");
        assertThat(cluster.scalar("SELECT max(attempts) FROM items WHERE request_id = ?", run))
                .as("the items in flight at the kill attempted twice, the rest once").isBetween(1L, 2L);
        assertThat(cluster.scalar("SELECT count(*) FROM items WHERE request_id = ? AND attempts = 2", run))
                .as("items attempted twice: one micro-batch at most").isLessThanOrEqualTo(8);
        Map<Long, String> doneAfter = cluster.doneItems(run);
        doneBefore.forEach((idx, at) -> assertThat(doneAfter.get(idx))
                .as("item " + idx + " done before the kill is not made again").isEqualTo(at));
        assertThat(cluster.ledgerEvents(run, "redispatched")).as("redispatched events in the ledger").isEqualTo(1);
        List<Cluster.Event> events = cluster.events(List.of(id), e -> e.stream().anyMatch(
                x -> x.type().equals("redispatched")) && Cluster.terminalFor(List.of(run)).test(e), Duration.ofSeconds(60));
        assertThat(Cluster.typesByRun(events).get(run)).as("event types of run " + run + " on the topic")
                .contains("redispatched", "completed");
    }

    /**
     * SIGTERM to a worker in the middle of a partition: it ends its micro-batch in flight, gives the
     * partition back ({@code released}) and exits within the lease and a micro-batch; another worker
     * completes the partition at once (no lease to wait for), with no item made twice and no
     * re-dispatch.
     */
    @Test
    @Order(3)
    void aWorkerStoppedMidPartitionGivesItBackAndExits() throws Exception {
        ensureWorkers(3);
        String id = Cluster.newId("term");
        int items = 80;
        cluster.send(Map.of(id, request(id, items, 1, LONG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(60));
        Held held = awaitHolderWithItemsDone(run, 8);
        ServerProcess victim = held.process();

        long t0 = System.currentTimeMillis();
        victim.terminate();
        Integer code = victim.awaitExit(Duration.ofSeconds(60));
        long exitMs = System.currentTimeMillis() - t0;
        startWorker();
        System.out.printf("SIGTERM to %s (%d items of its partition made) -> exit %s after %d ms%n", victim.name(),
                held.itemsDone(), code, exitMs);
        assertThat(code).as("exit code of the stopped worker (128 + SIGTERM)\n" + victim.tail(30)).isEqualTo(143);
        assertThat(exitMs).as("from SIGTERM to exit: at most the lease (6 s) and a micro-batch, with a margin")
                .isLessThan(20_000);
        assertThat(victim.tail(200)).as("the stopped worker's log").contains("given back to the queue");

        assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
        long reclaimMs = epochMillis("SELECT started_at FROM partition_attempts WHERE step_execution_id = ? AND attempt = 2",
                held.stepExecutionId()) - t0;
        System.out.printf("SIGTERM to %s -> partition claimed by the next worker after %d ms%n", victim.name(), reclaimMs);
        cluster.assertRunIsWhole(run, items);
        assertMadeOnce(run);
        List<Cluster.Attempt> attempts = attemptsAt(run, held.stepExecutionId());
        assertThat(attempts).as("attempts at the stopped worker's partition")
                .extracting(Cluster.Attempt::worker, Cluster.Attempt::outcome).hasSize(2)
                .first().isEqualTo(org.assertj.core.groups.Tuple.tuple(held.worker(), "released"));
        assertThat(attempts.get(1).outcome()).isEqualTo("completed");
        assertThat(cluster.replicaOf(attempts.get(1).worker())).isNotNull().isNotSameAs(victim);
        assertThat(reclaimMs).as("given back: claimed again before a lease could run out").isLessThan(6_000);
        assertThat(cluster.ledgerEvents(run, "redispatched")).as("a partition given back is not lost").isZero();
    }

    /**
     * The manager stopped (SIGTERM) mid-run: the job stops (each worker ends its micro-batch, the
     * partitions end {@code stopped}), the run's lease is released and the manager exits. Two managers
     * started afterwards: one resumes the run, the other stands by and leaves the live run alone; when
     * the running one is killed ({@code kill -9}) the standby takes the run over once its lease ran
     * out. The run completes whole; no item done before the kill is made again.
     */
    @Test
    @Order(4)
    void aManagerStoppedOrKilledMidRunHasItsRunResumedByTheNextManager() throws Exception {
        ensureWorkers(3);
        String id = Cluster.newId("mgr");
        int items = 720;
        cluster.send(Map.of(id, request(id, items, 1, LONG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(60));
        cluster.awaitItemsDone(run, 24, RUN);
        assertThat(cluster.replicaOf(cluster.owner(run))).as("the run's owner").isSameAs(manager);

        // 1. SIGTERM: the job stops cleanly
        long t0 = System.currentTimeMillis();
        manager.terminate();
        Integer code = manager.awaitExit(Duration.ofSeconds(90));
        long exitMs = System.currentTimeMillis() - t0;
        long doneAtStop = cluster.itemsDone(run);
        System.out.printf("SIGTERM to the manager -> exit %s after %d ms; %d of %d items done%n", code, exitMs,
                doneAtStop, items);
        assertThat(code).as("exit code of the stopped manager\n" + manager.tail(40)).isEqualTo(143);
        assertThat(doneAtStop).as("the run was live at the stop (else make it longer)").isLessThan(items);
        assertThat(cluster.status(run)).as("the run after its manager stopped").isEqualTo("running");
        assertThat(cluster.scalar("SELECT count(*) FROM requests WHERE id = ? AND lease_until <= now()", run))
                .as("the run's lease released").isEqualTo(1);
        assertThat(cluster.value("SELECT status FROM batch_job_execution WHERE job_execution_id = "
                + "(SELECT max(job_execution_id) FROM partitions WHERE request_id = ?)", run))
                .as("the job execution of the stopped manager").isEqualTo("STOPPED");
        // those no worker had taken were stopped by the manager itself ('abandoned'); the running ones ended 'done'
        assertThat(cluster.scalar("SELECT count(*) FROM partitions WHERE request_id = ? AND state IN ('queued', "
                + "'running')", run)).as("partitions still queued or running once the manager stopped").isZero();
        assertThat(cluster.attempts(run)).as("attempts of the first execution")
                .allSatisfy(a -> assertThat(a.outcome()).isIn("completed", "stopped"))
                .anySatisfy(a -> assertThat(a.outcome()).isEqualTo("stopped"));
        assertThat(cluster.scalar("SELECT count(*) FROM items WHERE attempts > 1 AND request_id = ?", run))
                .as("items attempted twice: each micro-batch in flight ended before its partition stopped").isZero();

        // 2. two new managers: one resumes the run, the other stands by and leaves the live run alone
        ServerProcess next = cluster.manager("manager-2", JOB);
        ServerProcess standby = cluster.manager("manager-3", JOB);
        cluster.awaitStarted(next, standby);
        cluster.await(() -> cluster.jobExecutions(run) == 2 && cluster.itemsDone(run) >= doneAtStop + 16,
                RUN, "run " + run + " resumed by a new manager and going on");
        String owner2 = cluster.owner(run);
        ServerProcess resumer = cluster.replicaOf(owner2);
        assertThat(resumer).as("the resumed run's owner").isIn(next, standby);
        if (resumer == standby) {
            standby = next;
        }
        assertThat(cluster.ledgerEvents(run, "resumed")).as("resumed events after the restart").isEqualTo(1);

        // 3. kill -9 of the manager running the run: the standby takes it over once its lease ran out
        assertThat(cluster.owner(run)).as("the run's owner while both managers live").isEqualTo(owner2);
        assertThat(cluster.status(run)).as("the run before the kill (else make it longer)").isEqualTo("running");
        assertThat(cluster.jobExecutions(run)).as("job executions while both managers live").isEqualTo(2);
        resumer.kill();
        long killedAt = System.currentTimeMillis();
        Map<Long, String> doneBefore = cluster.doneItems(run);
        ServerProcess survivor = standby;
        manager = survivor;
        cluster.await(() -> survivor.equals(cluster.replicaOf(cluster.owner(run))), Duration.ofSeconds(60),
                "run " + run + " taken over by the standby manager");
        long takeoverMs = System.currentTimeMillis() - killedAt;
        long doneAtTakeover = cluster.itemsDone(run);
        System.out.printf("kill -9 of the manager (%d items done) -> run taken over by the standby after %d ms "
                + "(%d items done then)%n", doneBefore.size(), takeoverMs, doneAtTakeover);
        assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
        assertThat(doneAtTakeover).as("items left when the standby took over (else make the run longer)")
                .isLessThan(items);
        cluster.assertRunIsWhole(run, items);
        assertThat(cluster.jobExecutions(run)).as("job executions: the first, and one per resumption").isEqualTo(3);
        assertThat(cluster.ledgerEvents(run, "resumed")).as("resumed events").isEqualTo(2);
        assertThat(cluster.scalar("SELECT max(attempts) FROM items WHERE request_id = ?", run))
                .as("the items in flight when the standby took the partitions back attempted twice at most")
                .isBetween(1L, 2L);
        Map<Long, String> doneAfter = cluster.doneItems(run);
        doneBefore.forEach((idx, at) -> assertThat(doneAfter.get(idx))
                .as("item " + idx + " done before the kill is not made again").isEqualTo(at));
    }

    /**
     * The broker stopped mid-run (its process, SIGTERM) and started again on the same port and data:
     * the workers go on making items and, when a partition ends, claim the next queued one from the
     * ledger (no request can arrive); the run completes whole with every item made once and no
     * partition lost, and its lifecycle events reach the topic afterwards.
     */
    @Test
    @Order(5)
    void theBrokerStoppedMidRunGenerationGoesOnAndTheRunCompletes() throws Exception {
        ensureWorkers(3);
        ensureManager();
        String id = Cluster.newId("broker");
        // long enough to outlast the broker's stop with partitions still queued: an idle machine once made 360
        // items of 500 steps in 3 s, the whole run ending while the broker was stopping
        int items = 1080;
        cluster.send(Map.of(id, request(id, items, 1, 900))); // 1000 with leading spacing would reach t = 1000
        long run = cluster.awaitRun(id, Duration.ofSeconds(60));
        cluster.await(() -> cluster.scalar("SELECT count(*) FROM partitions WHERE request_id = ? AND state = 'running'",
                run) == 3 && cluster.itemsDone(run) >= 8, RUN, "three partitions of run " + run + " running");

        cluster.kafka().stop();
        long stoppedAt = System.currentTimeMillis();
        assertThat(cluster.scalar("SELECT count(*) FROM partitions WHERE request_id = ? AND state = 'queued'", run))
                .as("partitions of run " + run + " still queued once the broker has stopped (else the run outran the"
                        + " stop and the test shows nothing)").isPositive();
        long doneAtStop = cluster.itemsDone(run);
        cluster.await(() -> cluster.scalar("SELECT count(*) FROM partition_attempts WHERE request_id = ? "
                        + "AND started_at > to_timestamp(? / 1000.0)", run, stoppedAt) > 0
                        && cluster.itemsDone(run) >= doneAtStop + 16, RUN,
                "a partition claimed and items made while the broker is away");
        long claimedDuring = cluster.scalar("SELECT count(*) FROM partition_attempts WHERE request_id = ? "
                + "AND started_at > to_timestamp(? / 1000.0)", run, stoppedAt);
        long doneDuring = cluster.itemsDone(run) - doneAtStop;
        cluster.kafka().restart(Duration.ofSeconds(120));
        System.out.printf("broker away %d ms: %d items made and %d partitions claimed meanwhile%n",
                System.currentTimeMillis() - stoppedAt, doneDuring, claimedDuring);

        assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
        cluster.assertRunIsWhole(run, items);
        assertMadeOnce(run);
        assertThat(cluster.attempts(run)).as("one attempt per partition, none lost").hasSize(6)
                .allSatisfy(a -> assertThat(a.outcome()).isEqualTo("completed"));
        assertThat(cluster.ledgerEvents(run, "redispatched")).isZero();
        List<Cluster.Event> events = cluster.events(List.of(id), Cluster.terminalFor(List.of(run)), Duration.ofSeconds(120));
        assertThat(Cluster.typesByRun(events).get(run)).as("event types of run " + run + " on the topic after the outage")
                .contains("accepted", "started", "completed");
        assertThat(Cluster.terminalEvents(events).get(run)).containsExactly("completed");
    }

    // ---- helpers ----


    /** A partition held by a live worker process that has made {@code itemsDone} of its items. */
    private record Held(long stepExecutionId, String name, String worker, ServerProcess process, long itemsDone) {
    }

    /** Waits until a worker holds a partition of the run and has made at least {@code items} of its items. */
    private static Held awaitHolderWithItemsDone(long run, int items) throws Exception {
        Held[] held = {null};
        cluster.await(() -> {
            List<Map<String, Object>> rows = cluster.rows("SELECT p.step_execution_id, p.name, p.worker, count(*) AS made "
                    + "FROM partitions p JOIN item_stats s ON s.request_id = p.request_id AND s.partition_name = p.name "
                    + "JOIN items i ON i.request_id = s.request_id AND i.idx = s.idx "
                    + "AND split_part(i.worker, ':', 2) = split_part(p.worker, ':', 2) "
                    + "WHERE p.request_id = ? AND p.state = 'running' GROUP BY 1, 2, 3 HAVING count(*) >= ? "
                    + "ORDER BY 4 LIMIT 1", run, items);
            if (rows.isEmpty()) {
                return false;
            }
            Map<String, Object> r = rows.get(0);
            String worker = (String) r.get("worker");
            held[0] = new Held(((Number) r.get("step_execution_id")).longValue(), (String) r.get("name"), worker,
                    cluster.replicaOf(worker), ((Number) r.get("made")).longValue());
            return held[0].process() != null && held[0].process().isAlive();
        }, RUN, "a worker holding a partition of run " + run + " with " + items + " of its items made");
        return held[0];
    }

    /** The attempts at one partition, in order. */
    private static List<Cluster.Attempt> attemptsAt(long run, long stepExecutionId) throws Exception {
        return cluster.attempts(run).stream().filter(a -> a.stepExecutionId() == stepExecutionId)
                .sorted(java.util.Comparator.comparingInt(Cluster.Attempt::attempt)).toList();
    }

    /** The pid in a server instance's id ({@code host:pid:random}). */
    private static String pid(String instance) {
        return instance.split(":")[1];
    }

    /** A timestamp the query returns, in epoch milliseconds. */
    private static long epochMillis(String sql, Object... params) throws Exception {
        return ((java.sql.Timestamp) cluster.value(sql, params)).getTime();
    }

    /** Waits until a manager lives, starting one when none does (a test before failed mid-way). */
    private static void ensureManager() throws Exception {
        if (!manager.isAlive()) {
            manager = cluster.manager("manager-" + (++managersStarted), JOB);
        }
        cluster.awaitStarted(manager);
    }

    /** Waits until {@code n} workers live, starting new ones where fewer do. */
    private static void ensureWorkers(int n) throws Exception {
        List<ServerProcess> live = workers.stream().filter(ServerProcess::isAlive).toList();
        for (int i = live.size(); i < n; i++) {
            startWorker();
        }
        cluster.awaitStarted(workers.stream().filter(ServerProcess::isAlive).toArray(ServerProcess[]::new));
    }
    // ---- helpers ----

    private static ServerProcess startWorker() throws Exception {
        List<String> extra = new ArrayList<>(List.of(JOB));
        extra.addAll(List.of(WORKER));
        ServerProcess w = cluster.worker("worker-" + ++started, extra.toArray(String[]::new));
        workers.add(w);
        return w;
    }

    private static String request(String id, int prompts, int seeds, int steps) {
        return GenerationJobTest.request(id, "tiny", prompts, seeds, steps, 0, "cluster/" + id);
    }

    /** The step executions of the run's partitions, in the order they were queued. */
    private static List<Long> stepExecutions(long run) throws Exception {
        return cluster.rows("SELECT step_execution_id FROM partitions WHERE request_id = ? ORDER BY step_execution_id",
                run).stream().map(r -> ((Number) r.get("step_execution_id")).longValue()).toList();
    }

    /** Sends the partition request of each of these step executions {@code times} times to the partition topic. */
    private static void redeliver(List<Long> steps, int times) throws Exception {
        try (KafkaProducer<String, byte[]> p = KafkaClients.producer(cluster.kafkaSettings(), "test")) {
            for (int i = 0; i < times; i++) {
                for (long step : steps) {
                    p.send(new ProducerRecord<>("partitions", Long.toString(step), ("{\"stepName\":\"generatePartition\","
                            + "\"stepExecutionId\":" + step + "}").getBytes(StandardCharsets.UTF_8))).get();
                }
            }
        }
    }

    /** Every item of the run attempted once. */
    private static void assertMadeOnce(long run) throws Exception {
        assertThat(cluster.scalar("SELECT count(*) FROM items WHERE attempts <> 1 AND request_id = ?", run))
                .as("items of run " + run + " attempted other than once").isZero();
    }

    /**
     * Every item's {@code worker} ({@code host:pid}) is the process whose attempt completed the
     * partition that holds the item ({@code item_stats.partition_name}) in the run's last execution.
     */
    private static void assertItemsMadeByTheCompletingWorker(long run) throws Exception {
        List<Map<String, Object>> wrong = cluster.rows("SELECT i.idx, i.worker, s.partition_name, a.worker AS holder "
                + "FROM items i JOIN item_stats s USING (request_id, idx) "
                + "LEFT JOIN partitions p ON p.request_id = i.request_id AND p.name = s.partition_name "
                + "AND p.job_execution_id = (SELECT max(job_execution_id) FROM partitions WHERE request_id = i.request_id) "
                + "LEFT JOIN partition_attempts a ON a.step_execution_id = p.step_execution_id AND a.outcome = 'completed' "
                + "WHERE i.request_id = ? AND (a.worker IS NULL "
                + "OR split_part(a.worker, ':', 2) <> split_part(i.worker, ':', 2)) LIMIT 5", run);
        assertThat(wrong).as("items of run " + run + " not made by the worker that completed their partition").isEmpty();
    }
}
