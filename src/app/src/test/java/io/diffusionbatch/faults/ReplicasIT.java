package io.diffusionbatch.faults;

import io.diffusionbatch.job.GenerationJobTest;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several packaged servers, each a process of its own, sharing one PostgreSQL and one Kafka broker
 * (each a process of its own too; the broker speaks only SASL/PLAIN, which the servers reach
 * through {@code diffusion.kafka.properties.*}) and one output root: runs are spread over the
 * replicas and each runs once; a replica that starts, stops, dies or is misconfigured mid-run
 * leaves the other replicas' runs alone, and a dead one's run is resumed by another. Each test
 * asserts on the ledger, on the files (sha256 against {@code outputs}) and on the events topic.
 * The services are shared by the tests; each test starts and stops its own replicas.
 */
class ReplicasIT {

    /** A run that lasts long enough for a replica to start, stop or fail beside it. */
    private static final int LONG_PROMPTS = 200;
    private static final int LONG_SEEDS = 2;
    /**
     * With {@link #LONG_PROMPTS}, 400 items: 20 to 30 s with three partitions on a 2-core machine,
     * about a minute with one ({@link #SERIAL}); 1000 steps is refused by the tiny model's leading
     * timestep spacing.
     */
    private static final int LONG_STEPS = 500;
    /** Long enough to heartbeat under load, short enough that a test is not kept waiting. */
    private static final String LEASE = "--diffusion.job.lease=PT6S";
    /** One partition at a time: a long run lasts about three times longer than with three. */
    private static final String SERIAL = "--diffusion.job.grid-size=1";
    private static final Duration START = Duration.ofSeconds(240);
    private static final Duration RUN = Duration.ofSeconds(420);

    private static Cluster cluster;

    /** A failed test's message ends with the tail of every replica's log (unless a wait put it there already). */
    @RegisterExtension
    final TestExecutionExceptionHandler logs = (context, e) -> {
        if (cluster != null && (e.getMessage() == null || !e.getMessage().contains("---- kafka:"))) {
            AssertionError withLogs = new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
            throw withLogs;
        }
        throw e;
    };

    @BeforeAll
    static void services() throws Exception {
        cluster = Cluster.start("diffusion-replicas-");
    }

    @AfterEach
    void stopReplicas() throws Exception {
        cluster.stopReplicas();
        cluster.abandonUnfinishedRuns(); // a failed test's runs must not keep the next test's replicas busy
        if (!cluster.kafka().isRunning()) { // a broker-outage test that failed mid-outage
            cluster.kafka().restart(Duration.ofSeconds(120));
        }
    }

    @AfterAll
    static void stopServices() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Three replicas, ten requests sent at once: each run completes exactly once (one job
     * instance and execution, every item attempted once, its files once with the right sha256,
     * one {@code completed} in the ledger and exactly one terminal event on the topic), and the
     * runs are spread over more than one replica (each runs one job at a time, so the others take
     * the waiting runs).
     */
    @Test
    void tenRequestsAtOnceOnThreeReplicasEachRunOnce() throws Exception {
        ServerProcess[] replicas = {cluster.replica("ten-1", LEASE), cluster.replica("ten-2", LEASE),
                cluster.replica("ten-3", LEASE)};
        cluster.awaitStarted(replicas);
        Map<String, String> requests = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            String id = Cluster.newId("ten");
            requests.put(id, request(id, 2, 2, 40));
        }
        cluster.send(requests);

        Map<String, Long> runs = new LinkedHashMap<>();
        for (String id : requests.keySet()) {
            runs.put(id, cluster.awaitRun(id, Duration.ofSeconds(120)));
        }
        Map<Long, String> owners = new LinkedHashMap<>();
        for (long run : runs.values()) {
            assertThat(cluster.watchUntilFinished(run, RUN).status()).as("run " + run).isEqualTo("completed");
            owners.put(run, cluster.owner(run));
        }
        for (long run : runs.values()) {
            assertRanOnce(run, 4);
        }
        List<Cluster.Event> events = cluster.events(runs.keySet(), Cluster.terminalFor(runs.values()),
                Duration.ofSeconds(120));
        Map<Long, List<String>> terminal = Cluster.terminalEvents(events);
        for (long run : runs.values()) {
            assertThat(terminal.get(run)).as("terminal events of run " + run + " on the topic").containsExactly("completed");
        }
        assertThat(terminal).as("no terminal event of another run").hasSize(runs.size());

        Set<String> replicasUsed = owners.values().stream().map(o -> cluster.replicaOf(o))
                .map(r -> r == null ? "?" : r.name()).collect(Collectors.toSet());
        assertThat(replicasUsed).as("the replicas that ran the runs (owners %s)", owners).doesNotContain("?")
                .hasSizeGreaterThan(1);
        for (ServerProcess r : replicas) {
            assertThat(r.isAlive()).as(r.name() + " still serves").isTrue();
        }
    }

    /**
     * A replica started while another runs a job leaves that run alone: the run goes on under its
     * first owner (never another, its lease renewed), with one job execution, no {@code resumed}
     * event and every item attempted once.
     */
    @Test
    void aReplicaStartedMidRunLeavesTheLiveRunAlone() throws Exception {
        ServerProcess first = cluster.replica("mid-1", LEASE, SERIAL);
        LiveRun live = longRunOn(first, "mid");
        String id = live.id();
        long run = live.run();
        String owner = live.owner();
        assertThat(cluster.replicaOf(owner)).as("the run's owner").isSameAs(first);

        ServerProcess second = cluster.replica("mid-2", LEASE, SERIAL);
        cluster.awaitStarted(second);
        assertThat(cluster.status(run)).as("the run was still live when the second replica had started "
                + "(else make it longer)").isEqualTo("running");
        long doneAtSecondStart = cluster.itemsDone(run);
        Cluster.Watched watched = cluster.watchUntilFinished(run, RUN);

        assertThat(watched.owners()).as("owners of the run while it went on").containsExactly(owner);
        assertThat(cluster.itemsDone(run)).as("items made after the second replica started")
                .isGreaterThan(doneAtSecondStart);
        assertRanOnce(run, LONG_PROMPTS * LONG_SEEDS);
        assertOneTerminalEvent(id, run, "completed");
        assertThat(first.isAlive() && second.isAlive()).as("both replicas still serve").isTrue();
    }

    /**
     * {@code kill -9} of the replica running a job, beside a replica running another run and an idle
     * one (short leases, 3 s): the idle replica resumes the dead one's run, which completes with each
     * item made once (those done before the kill are not made again); the other run is not stopped
     * (one owner, one job execution, no {@code resumed} event).
     */
    @Test
    void aReplicaKilledMidRunHasItsRunResumedByAnotherAndTheOthersRunsGoOn() throws Exception {
        String lease = "--diffusion.job.lease=PT3S";
        ServerProcess victim = cluster.replica("kill-1", lease, SERIAL);
        cluster.awaitStarted(victim);
        String id1 = Cluster.newId("killed");
        cluster.send(Map.of(id1, request(id1, LONG_PROMPTS, LONG_SEEDS, LONG_STEPS)));
        long run1 = cluster.awaitRun(id1, Duration.ofSeconds(120));
        cluster.awaitItemsDone(run1, 2, RUN);
        assertThat(cluster.replicaOf(cluster.owner(run1))).as("the first run's owner").isSameAs(victim);

        ServerProcess busy = cluster.replica("kill-2", lease, SERIAL);
        ServerProcess idle = cluster.replica("kill-3", lease, SERIAL);
        cluster.awaitStarted(busy, idle);
        String id2 = Cluster.newId("beside");
        cluster.send(Map.of(id2, request(id2, LONG_PROMPTS / 2, LONG_SEEDS, LONG_STEPS)));
        long run2 = cluster.awaitRun(id2, Duration.ofSeconds(120));
        cluster.await(() -> cluster.owner(run2) != null, Duration.ofSeconds(60), "run " + run2 + " claimed");
        String owner2 = cluster.owner(run2);
        ServerProcess runner2 = cluster.replicaOf(owner2);
        assertThat(runner2).as("the second run's owner").isIn(busy, idle);
        assertThat(cluster.status(run1)).as("the first run was still live at the kill (else make it longer)")
                .isEqualTo("running");

        String victimOwner = cluster.owner(run1);
        victim.kill();
        long killedAt = System.nanoTime();
        Map<Long, String> doneBefore = cluster.doneItems(run1);
        cluster.await(() -> !victim.equals(cluster.replicaOf(cluster.owner(run1))), Duration.ofSeconds(120),
                "run " + run1 + " claimed by another replica after the kill");
        long takeoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        System.out.println("run " + run1 + " resumed by another replica " + takeoverMs + " ms after the kill");
        Cluster.Watched watched2 = cluster.watchUntilFinished(run2, RUN);
        Cluster.Watched watched1 = cluster.watchUntilFinished(run1, RUN);

        int items1 = LONG_PROMPTS * LONG_SEEDS;
        assertThat(doneBefore).as("items done before the kill").hasSizeBetween(2, items1 - 1);
        cluster.assertRunIsWhole(run1, items1);
        assertThat(cluster.replicaOf(cluster.owner(run1))).as("the resumed run's owner").isIn(busy, idle);
        assertThat(watched1.owners()).as("owners after the kill").doesNotContain(victimOwner);
        assertThat(cluster.jobExecutions(run1)).as("job executions of the killed run").isEqualTo(2);
        assertThat(cluster.ledgerEvents(run1, "resumed")).as("resumed events of the killed run").isEqualTo(1);
        assertThat(cluster.scalar("SELECT max(attempts) FROM items WHERE request_id = ?", run1))
                .as("the items in flight at the kill attempted twice, the rest once").isBetween(1L, 2L);
        Map<Long, String> doneAfter = cluster.doneItems(run1);
        doneBefore.forEach((idx, at) -> assertThat(doneAfter.get(idx))
                .as("item " + idx + " done before the kill is not made again").isEqualTo(at));

        assertThat(watched2.owners()).as("owners of the run beside it").containsExactly(owner2);
        assertRanOnce(run2, LONG_PROMPTS / 2 * LONG_SEEDS);
        assertOneTerminalEvent(id1, run1, "completed");
        assertOneTerminalEvent(id2, run2, "completed");
        assertThat(busy.isAlive() && idle.isAlive()).as("the other replicas still serve").isTrue();
    }

    /**
     * A replica with a wrong Kafka address (a closed port) started while a run is live: it exits
     * with a non-zero code (within 120 s), and the live run is untouched (its owner, status and
     * lease go on; it completes once).
     */
    @Test
    void aMisconfiguredReplicaExitsAndLeavesTheLiveRunAlone() throws Exception {
        ServerProcess good = cluster.replica("conf-1", LEASE, SERIAL);
        LiveRun live = longRunOn(good, "conf");
        String id = live.id();
        long run = live.run();
        String owner = live.owner();

        long t0 = System.nanoTime();
        ServerProcess bad = cluster.replica("conf-bad", LEASE, SERIAL,
                "--diffusion.kafka.bootstrap-servers=localhost:" + KafkaProcess.freePort());
        Cluster.Watched meanwhile = cluster.watch(run, w -> !bad.isAlive(), Duration.ofSeconds(120),
                "the misconfigured replica exits");
        Integer code = bad.awaitExit(Duration.ofSeconds(5));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("the misconfigured replica exited with %s after %.1f s; the run was %s then%n",
                code, seconds, meanwhile.status());
        assertThat(code).as("exit code of the misconfigured replica (11: Kafka unusable)\n" + bad.tail(20))
                .isEqualTo(11);
        assertThat(bad.tail(5)).contains("cannot reach Kafka at localhost:");
        assertThat(meanwhile.owners()).as("owners of the run while the misconfigured replica lived")
                .containsExactly(owner);
        if ("running".equals(meanwhile.status())) {
            assertThat(meanwhile.lastLease()).as("the lease was renewed meanwhile").isAfter(meanwhile.firstLease());
        }

        Cluster.Watched after = cluster.watchUntilFinished(run, RUN);
        assertThat(after.owners()).as("owners of the run").containsExactly(owner);
        assertRanOnce(run, LONG_PROMPTS * LONG_SEEDS);
        assertOneTerminalEvent(id, run, "completed");
        assertThat(good.isAlive()).as("the good replica still serves").isTrue();
    }

    /**
     * The broker down for three minutes mid-run (its process stopped, then started again on the
     * same port and data directory): generation goes on meanwhile (items get done during the
     * outage), the run completes once, and afterwards every lifecycle event of the run (accepted,
     * started, completed) is on the events topic. Takes over four minutes. Failed before the
     * transactional outbox: each progress event blocked its partition for the producer's
     * {@code max.block.ms} (60 s) while the broker was away, so generation all but stopped (2 items
     * a minute), and events sent during an outage longer than the delivery timeout (2 min) were
     * dropped.
     */
    @Test
    void theBrokerDownForThreeMinutesMidRunGenerationGoesOnAndEveryEventArrivesAfterwards() throws Exception {
        Duration outage = Duration.ofMinutes(3);
        ServerProcess server = cluster.replica("outage-1", LEASE);
        cluster.awaitStarted(server);
        String id = Cluster.newId("outage");
        int prompts = 500; // about as long as the outage: it completes during it or soon after
        cluster.send(Map.of(id, request(id, prompts, LONG_SEEDS, LONG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(120));
        cluster.awaitItemsDone(run, 2, RUN);

        cluster.kafka().stop();
        long downAt = System.nanoTime();
        long doneAtStop = cluster.itemsDone(run);
        // going on means its usual pace (several items a second here), not a micro-batch now and then:
        // a progress event blocked for the producer's max.block.ms (60 s) lets 2 items through a minute
        long wanted = Math.min(prompts * LONG_SEEDS, doneAtStop + 20);
        boolean wentOn = true;
        try {
            cluster.await(() -> cluster.itemsDone(run) >= wanted, Duration.ofSeconds(90),
                    "20 items made in the first 90 s of the broker's outage");
        } catch (AssertionError e) {
            wentOn = false;
        }
        long doneIn90s = cluster.itemsDone(run) - doneAtStop;
        long left = outage.toNanos() - (System.nanoTime() - downAt);
        if (left > 0) {
            Thread.sleep(left / 1_000_000); // the outage lasts its full length: longer than any producer timeout
        }
        String statusAtRestart = cluster.status(run);
        long doneAtRestart = cluster.itemsDone(run);
        cluster.kafka().restart(Duration.ofSeconds(180));
        System.out.printf("broker down %d s; items done at the stop %d, 90 s later %d, at the restart %d; run %s at "
                        + "the restart%n", (System.nanoTime() - downAt) / 1_000_000_000, doneAtStop,
                doneAtStop + doneIn90s, doneAtRestart, statusAtRestart);

        Cluster.Watched watched = cluster.watchUntilFinished(run, RUN);
        List<Cluster.Event> events = cluster.events(List.of(id),
                e -> Cluster.typesByRun(e).getOrDefault(run, List.of()).containsAll(List.of("accepted", "started", "completed")),
                Duration.ofSeconds(180));
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(wentOn).as("generation went on while the broker was down: " + doneIn90s
                + " items in its first 90 s, " + (doneAtRestart - doneAtStop) + " in " + outage).isTrue();
        soft.assertThat(watched.status()).as("the run's end").isEqualTo("completed");
        soft.assertThat(Cluster.typesByRun(events).getOrDefault(run, List.of())).as("lifecycle events of run " + run
                + " on the topic after the outage").contains("accepted", "started", "completed");
        soft.assertAll();
        assertRanOnce(run, prompts * LONG_SEEDS);
        assertOneTerminalEvent(id, run, "completed");
        assertThat(server.isAlive()).as("the server survived the outage").isTrue();
    }

    // ---- helpers ----

    /** A long run live on one replica: its client id, run id and owner. */
    private record LiveRun(String id, long run, String owner) {
    }

    /** Starts {@code replica}, sends it a long request and waits until the run has made 2 items. */
    private static LiveRun longRunOn(ServerProcess replica, String prefix) throws Exception {
        cluster.awaitStarted(replica);
        String id = Cluster.newId(prefix);
        cluster.send(Map.of(id, request(id, LONG_PROMPTS, LONG_SEEDS, LONG_STEPS)));
        long run = cluster.awaitRun(id, Duration.ofSeconds(120));
        cluster.awaitItemsDone(run, 2, RUN);
        return new LiveRun(id, run, cluster.owner(run));
    }

    /** A request for the {@code tiny} model, its files under {@code replicas/ID}. */
    private static String request(String id, int prompts, int seeds, int steps) {
        return GenerationJobTest.request(id, "tiny", prompts, seeds, steps, 0, "replicas/" + id);
    }

    /**
     * The run is whole ({@link Cluster#assertRunIsWhole}) and ran once: one job execution, every
     * item attempted once, no {@code resumed} event.
     */
    private static void assertRanOnce(long run, int items) throws Exception {
        cluster.assertRunIsWhole(run, items);
        assertThat(cluster.jobExecutions(run)).as("job executions of run " + run).isEqualTo(1);
        assertThat(cluster.scalar("SELECT count(*) FROM items WHERE attempts <> 1 AND request_id = ?", run))
                .as("items of run " + run + " attempted other than once").isZero();
        assertThat(cluster.ledgerEvents(run, "resumed")).as("resumed events of run " + run).isZero();
    }

    /** The events topic holds exactly one terminal event of the run (an event delivered twice counted once). */
    private static void assertOneTerminalEvent(String clientId, long run, String type) {
        List<Cluster.Event> events = cluster.events(List.of(clientId), Cluster.terminalFor(List.of(run)),
                Duration.ofSeconds(120));
        assertThat(Cluster.terminalEvents(events).get(run)).as("terminal events of run " + run + " on the topic")
                .containsExactly(type);
        List<String> types = new ArrayList<>(Cluster.typesByRun(events).getOrDefault(run, List.of()));
        assertThat(types).as("event types of run " + run).contains("accepted", "started");
    }
}
