package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.PartitionAudit;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStats;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * {@code cluster-demo}: cluster mode on one machine, every part a process of its own. It starts a
 * PostgreSQL and a Kafka broker ({@code io.diffusionbatch.local.ServiceProcess}, a JVM each; PostgreSQL
 * itself runs as the embedded binaries' {@code postgres}), one {@code manager} and {@code --workers}
 * {@code worker} JVMs of this distribution against them (logs under {@code DATA/logs/}), sends one
 * request of the bundled demo model through Kafka, follows it to the end and prints which worker ran
 * which partition, each worker's items and items/s, and the wall times; with {@code --kill-worker} it
 * kills a worker with SIGKILL in the middle of a partition and prints the recovery and that every item
 * was made exactly once. It stops everything at the end (workers and manager by SIGTERM, then the broker
 * and PostgreSQL), on Ctrl-C and on failure. One instance per command line; not thread-safe.
 */
@Command(name = "cluster-demo", sortOptions = false,
        description = {"Cluster mode on this machine: PostgreSQL, Kafka, a manager and N workers as processes; one request.",
                "Starts PostgreSQL and a Kafka broker as processes of their own, one 'manager' and --workers 'worker' "
                + "processes of this jar against them (data and logs under --data-dir, default data/cluster-demo), "
                + "sends one request of the bundled model shapes-ldm through Kafka, follows it to the end and prints "
                + "which worker ran which partition, items and items/s per worker and the wall times. --kill-worker "
                + "kills one worker (SIGKILL) in the middle of a partition and prints the recovery. Everything stops "
                + "at the end (and on Ctrl-C). Settings --diffusion.NAME=VALUE go to the manager and the workers. "
                + "Exit 0 only when the run completed (and, with --kill-worker, a worker was killed and every item "
                + "made exactly once)."})
final class ClusterDemoCommand extends PlatformCommand {

    /** The captions of the demo request (config/requests/demo.json's template), in its order. */
    private static final List<String> SIZES = List.of("small", "large");
    private static final List<String> COLOURS = List.of("red", "blue", "green", "yellow");
    private static final List<String> SHAPES = List.of("circle", "square", "triangle", "star");
    private static final List<String> POSITIONS = List.of("in the centre", "at the top left");
    private static final String MODEL = "shapes-ldm";
    private static final Duration START = Duration.ofSeconds(240);
    private static final Duration GRACE = Duration.ofSeconds(60);
    private static final String SERVICE_PROCESS = "io.diffusionbatch.local.ServiceProcess";
    private static final String SERVICE_READY = "service-ready ";
    private static final String STARTED = "started in ";

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
            description = "Worker processes, 1..8 (default: ${DEFAULT-VALUE}).")
    private int workers;

    @Option(names = "--kill-worker", arity = "0",
            description = "Kill one worker with SIGKILL in the middle of a partition (needs --workers 2 or more) "
                    + "and print the recovery.")
    private boolean killWorker;

    @Option(names = "--items", paramLabel = "N", defaultValue = "64",
            description = "Items of the request, 1..100000: the demo's 64 shapes-world captions in turn, item i with "
                    + "seed 1 + i (default: ${DEFAULT-VALUE}).")
    private int items;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "20",
            description = "Sampler steps (dpmpp-2m, guidance 5), 1..1000 (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "ONNX Runtime threads per worker (diffusion.job.threads), 1..256 (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
            description = "Partitions of the run (diffusion.job.grid-size), 1..1000 (default: 0 = twice --workers).")
    private int partitions;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
            description = "Send the request this many times, one after the other, on the same processes (the first "
                    + "round warms them up: model sessions, JIT); one line per round, the full report for the last "
                    + "(and --kill-worker kills during the last), 1..100 (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--serve", arity = "0",
            description = "The baseline instead of the cluster: one 'serve' process (local mode's single process) "
                    + "against the same services, running --workers partitions at once on threads "
                    + "(diffusion.job.concurrency) with --threads each.")
    private boolean serve;

    @Option(names = "--keep", arity = "0",
            description = "After the run, leave everything running (the manager's dashboard too) until Ctrl-C.")
    private boolean keep;

    private final PrintStream out;
    private final PrintStream err;
    private final List<ChildProcess> services = new ArrayList<>();
    private final List<ChildProcess> roles = new ArrayList<>();
    private final Map<String, ChildProcess> workerByPid = new LinkedHashMap<>();
    private ConfigurableApplicationContext client;
    private boolean stopped;

    ClusterDemoCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        List<String> settings = new ArrayList<>(List.of(springArgs()));
        Path dir = Path.of("data", "cluster-demo");
        for (String s : List.copyOf(settings)) {
            if (s.startsWith("--diffusion.data-dir=")) {
                dir = Path.of(s.substring("--diffusion.data-dir=".length()));
                settings.remove(s);
            }
        }
        dir = dir.toAbsolutePath().normalize();
        check(workers >= 1 && workers <= 8, "--workers: must be between 1 and 8, was " + workers);
        check(items >= 1 && items <= 100_000, "--items: must be between 1 and 100000, was " + items);
        check(steps >= 1 && steps <= 1000, "--steps: must be between 1 and 1000, was " + steps);
        check(threads >= 1 && threads <= 256, "--threads: must be between 1 and 256, was " + threads);
        check(partitions >= 0 && partitions <= 1000, "--partitions: must be between 1 and 1000, was " + partitions);
        check(!killWorker || workers >= 2, "--kill-worker: needs --workers 2 or more (a killed worker's partition "
                + "runs again on another one)");
        check(!killWorker || !serve, "--kill-worker: not with --serve (there are no worker processes)");
        try {
            Class.forName(SERVICE_PROCESS, false, getClass().getClassLoader());
        } catch (ClassNotFoundException e) {
            err.println("cluster-demo needs the local distribution (target/diffusion-batch.jar): this one has no "
                    + "embedded Kafka and PostgreSQL");
            return 1;
        }
        check(rounds >= 1 && rounds <= 100, "--rounds: must be between 1 and 100, was " + rounds);
        int grid = grid();
        long t0 = System.nanoTime();
        Thread hook = new Thread(this::stopAll, "cluster-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(dir, settings, grid, t0);
        } catch (IllegalStateException e) {
            err.println("cluster-demo: " + e.getMessage());
            return 1;
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs (and finds everything stopped)
            }
            err.printf(Locale.ROOT, "stopped everything; whole command %.1f s%n", seconds(t0));
        }
    }

    private int run(Path dir, List<String> settings, int grid, long t0) throws Exception {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        List<String> small = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        err.println("cluster-demo: data under " + dir + ", logs under " + logs);
        ChildProcess pg = service("postgres", List.of("-Xmx96m"), small, dir, logs);
        ChildProcess kafka = service("kafka", List.of("-Xmx512m"), small, dir, logs);
        String jdbc = pg.awaitLine(SERVICE_READY, START);
        String bootstrap = kafka.awaitLine(SERVICE_READY, START);
        err.printf(Locale.ROOT, "PostgreSQL %s (pid %d), Kafka broker %s (pid %d) after %.1f s%n", jdbc, pg.pid(),
                bootstrap, kafka.pid(), seconds(t0));

        Map<String, String> common = new LinkedHashMap<>();
        common.put("diffusion.local.mode", "off");
        common.put("diffusion.datasets.schedule", "false"); // a demo sends no dataset nights of its own
        common.put("spring.datasource.url", jdbc);
        common.put("spring.datasource.username", "postgres");
        common.put("spring.datasource.password", "postgres");
        common.put("diffusion.kafka.bootstrap-servers", bootstrap);
        common.put("diffusion.output-root", dir.resolve("outputs").toString());
        common.put("diffusion.job.threads", Integer.toString(threads));
        common.put("diffusion.job.grid-size", Integer.toString(grid));
        common.put("diffusion.job.min-partition-batches", "0");
        // a dead worker's partition runs again once its lease ran out: a short one for a demo on one machine
        common.put("diffusion.job.lease", "6s");
        common.put("diffusion.cluster.poll-interval", "250ms");
        common.put("diffusion.web.port", "-1");

        List<String> jvm = List.of("-Xmx768m", "-XX:+UseSerialGC");
        final ChildProcess head;
        if (serve) {
            head = role("serve", "serve", jvm, dir, logs, common, settings,
                    Map.of("diffusion.web.port", "0", "diffusion.job.concurrency", Integer.toString(workers)));
        } else {
            head = role("manager", "manager", jvm, dir, logs, common, settings, Map.of("diffusion.web.port", "0"));
        }
        head.awaitLine(STARTED, START);
        if (!serve) {
            // one after the other: JVMs starting together on a small machine miss their start-up checks'
            // timeouts (a worker exited with 'cannot reach Kafka' when three started at once on 2 cores)
            for (int i = 1; i <= workers; i++) {
                ChildProcess w = role("worker-" + i, "worker", jvm, dir, logs, common, settings,
                        Map.of("spring.datasource.hikari.maximum-pool-size", "5"));
                workerByPid.put(Long.toString(w.pid()), w);
                w.awaitLine(STARTED, START);
            }
        }
        // the parent's own view of the ledger and Kafka: a client context (no dispatcher, no workers)
        List<String> clientArgs = new ArrayList<>();
        common.forEach((k, v) -> clientArgs.add("--" + k + "=" + v));
        clientArgs.add("--diffusion.data-dir=" + dir.resolve("client"));
        // the embedded PostgreSQL allows 60 connections; every process's pool holds up to 12 by default
        clientArgs.add("--spring.datasource.hikari.maximum-pool-size=3");
        clientArgs.addAll(settings);
        client = DiffusionBatchApplication.start(Roles.CLIENT, clientArgs.toArray(String[]::new));
        for (ChildProcess w : workerByPid.values()) {
            w.awaitLine(STARTED, START);
        }
        String dashboard = head.tail(400).lines().filter(l -> l.startsWith("dashboard ")).findFirst()
                .map(l -> l.substring("dashboard ".length())).orElse("none");
        err.printf(Locale.ROOT, "%s (pid %d)%s up after %.1f s; dashboard %s%n", head.name(), head.pid(),
                workerByPid.values().stream().map(w -> ", " + w.name() + " (pid " + w.pid() + ")")
                        .collect(Collectors.joining()), seconds(t0), dashboard);

        DiffusionProperties props = client.getBean(DiffusionProperties.class);
        RequestStore requests = client.getBean(RequestStore.class);
        PartitionAudit audit = client.getBean(PartitionAudit.class);
        boolean ok = true;
        long stamp = Instant.now().toEpochMilli();
        for (int r = 1; r <= rounds; r++) {
            boolean last = r == rounds;
            String requestId = "cluster-demo-" + stamp + (rounds > 1 ? "-" + r : "");
            AtomicReference<Kill> kill = new AtomicReference<>();
            long send = System.nanoTime();
            EventFollower.Outcome outcome = round(requestId, props, requests, audit, head, last && killWorker ? kill : null);
            double sendToEnd = seconds(send);
            if (outcome == null) {
                return 1;
            }
            if (outcome.type() == EventType.REJECTED) {
                err.println("the request was rejected: " + outcome.event().path("reasons"));
                return 1;
            }
            Optional<RequestRow> row = requests.findByClientId(requestId);
            if (row.isEmpty()) {
                err.println("the request did not reach the ledger");
                return 1;
            }
            if (last) {
                ok &= report(row.get(), audit, kill.get(), sendToEnd, t0);
            } else {
                RunStats s = client.getBean(RunStatsStore.class).find(row.get().id()).orElse(null);
                out.printf(Locale.ROOT, "round %d of %d: run %d %s, %s; send -> completed %.2f s%n", r, rounds,
                        row.get().id(), row.get().status(), s == null ? "no figures" : throughput(s), sendToEnd);
                ok &= row.get().status() == RunStatus.COMPLETED;
            }
        }
        if (keep) {
            err.println("--keep: everything runs on; dashboard " + dashboard + "; Ctrl-C stops it all");
            new java.util.concurrent.CountDownLatch(1).await();
        }
        return ok ? 0 : 1;
    }

    /**
     * Sends one request and follows it to its end; with {@code kill}, a worker is killed in the middle of a
     * partition meanwhile. Null when the manager (or serve process) exited during the run.
     */
    private EventFollower.Outcome round(String requestId, DiffusionProperties props, RequestStore requests,
                                        PartitionAudit audit, ChildProcess head, AtomicReference<Kill> kill)
            throws Exception {
        Thread killer = null;
        try (EventFollower follower = EventFollower.open(client);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "cli-cluster-demo")) {
            producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), requestId,
                    Json.MAPPER.writeValueAsBytes(request(requestId)))).get();
            err.printf(Locale.ROOT, "sent request %s: %d items of %s (dpmpp-2m, %d steps), %d partitions, %s%n",
                    requestId, items, MODEL, steps, grid(), serve ? "one serve process with " + workers
                            + " partitions at once, " + threads + " thread(s) each"
                            : workers + " workers with " + threads + " ONNX Runtime thread(s) each");
            if (kill != null) {
                killer = new Thread(() -> kill.set(killMidPartition(requestId, requests, audit)), "cluster-demo-kill");
                killer.setDaemon(true);
                killer.start();
            }
            Thread main = Thread.currentThread();
            Thread watch = new Thread(() -> {
                try {
                    while (head.isAlive()) {
                        Thread.sleep(1_000);
                    }
                    err.println();
                    err.println(head.name() + " exited with " + head.exitCode() + " during the run; the end of "
                            + head.log() + ":\n" + head.tail(30));
                    main.interrupt();
                } catch (InterruptedException e) {
                    // the run ended
                }
            }, "cluster-demo-watch");
            watch.setDaemon(true);
            watch.start();
            try {
                return follower.follow(requestId, false, Duration.ofHours(6), err);
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                Thread.interrupted();
                return null;
            } finally {
                watch.interrupt();
            }
        } finally {
            if (killer != null) {
                killer.interrupt();
                killer.join(5_000);
            }
        }
    }

    /** What the killer did: the worker, when, the partition it held and the items it had made of it. */
    private record Kill(String worker, long pid, Instant at, long stepExecutionId, String partition, int attempt,
                        long itemsMade, String instance) {
    }

    /**
     * Waits until a worker holds a partition of the run of which it has made at least one micro-batch, and
     * kills it with SIGKILL: the partition is then in the middle of its items. Null when the run ended first.
     */
    private Kill killMidPartition(String requestId, RequestStore requests, PartitionAudit audit) {
        try {
            long run = 0;
            while (!Thread.currentThread().isInterrupted()) {
                if (run == 0) {
                    run = requests.findByClientId(requestId).map(RequestRow::id).orElse(0L);
                } else {
                    for (PartitionAudit.Running p : audit.running(run)) {
                        ChildProcess w = workerByPid.get(pidOf(p.worker()));
                        if (p.itemsMade() > 0 && w != null && w.isAlive()) {
                            Instant at = Instant.now();
                            w.kill();
                            err.printf(Locale.ROOT, "%nkilled %s (pid %d) with SIGKILL while it ran %s (attempt %d, "
                                    + "%d items of it made)%n", w.name(), w.pid(), p.name(), p.attempt(), p.itemsMade());
                            return new Kill(w.name(), w.pid(), at, p.stepExecutionId(), p.name(), p.attempt(),
                                    p.itemsMade(), p.worker());
                        }
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            err.println("cluster-demo: the kill failed: " + e);
        }
        return null;
    }

    /** Prints the run's figures; whether it completed (and the kill and the exactly-once checks hold). */
    private boolean report(RequestRow row, PartitionAudit audit, Kill kill, double sendToEnd, long t0) throws IOException {
        long run = row.id();
        Optional<RunStats> stats = client.getBean(RunStatsStore.class).find(run);
        out.println();
        out.println("run " + run + " (" + row.clientRequestId() + "): " + row.status() + ", " + row.itemCount()
                + " items in " + client.getBean(OutputRoot.class).shown(run, row.outputDir()));
        List<PartitionAudit.AttemptItems> attempts = audit.attempts(run);
        if (!serve) {
            out.println();
            out.printf(Locale.ROOT, "%-30s %7s  %-10s %-10s %6s %8s%n", "partition", "attempt", "worker", "outcome",
                    "items", "seconds");
            for (PartitionAudit.AttemptItems a : attempts) {
                out.printf(Locale.ROOT, "%-30s %7d  %-10s %-10s %6d %8.2f%n", a.name(), a.attempt(), workerName(a.worker()),
                        a.outcome() == null ? "running" : a.outcome(), a.items(), busySeconds(a, kill));
            }
            out.println();
            out.printf(Locale.ROOT, "%-10s %10s %6s %8s %8s%n", "worker", "partitions", "items", "busy s", "items/s");
            Map<String, List<PartitionAudit.AttemptItems>> byWorker = attempts.stream()
                    .collect(Collectors.groupingBy(a -> workerName(a.worker()), java.util.TreeMap::new, Collectors.toList()));
            byWorker.forEach((w, as) -> {
                long n = as.stream().mapToLong(PartitionAudit.AttemptItems::items).sum();
                double busy = as.stream().mapToDouble(a -> busySeconds(a, kill)).sum();
                out.printf(Locale.ROOT, "%-10s %10d %6d %8.2f %8.2f%n", w, as.size(), n, busy, busy > 0 ? n / busy : 0);
            });
        }
        out.println();
        String mode = serve ? "serve, " + workers + " partitions at once" : workers + " workers";
        if (stats.isPresent()) {
            RunStats s = stats.get();
            out.printf(Locale.ROOT, "throughput: %s (%s, %d thread(s) each)%n", throughput(s), mode, threads);
        }
        out.printf(Locale.ROOT, "wall time: send -> completed %.2f s; whole command so far %.1f s%n", sendToEnd, seconds(t0));
        boolean ok = row.status() == RunStatus.COMPLETED;
        if (killWorker) {
            ok &= recovery(kill, attempts, audit, run);
        }
        ok &= exactlyOnce(row, audit);
        return ok;
    }

    private boolean recovery(Kill kill, List<PartitionAudit.AttemptItems> attempts, PartitionAudit audit, long run) {
        if (kill == null) {
            out.println("recovery: no worker was killed: the run ended before a worker was in the middle of a "
                    + "partition (give more --items)");
            return false;
        }
        List<PartitionAudit.AttemptItems> of = attempts.stream().filter(a -> a.stepExecutionId() == kill.stepExecutionId())
                .toList();
        Optional<PartitionAudit.AttemptItems> lost = of.stream().filter(a -> a.attempt() == kill.attempt()).findFirst();
        Optional<PartitionAudit.AttemptItems> again = of.stream().filter(a -> a.attempt() > kill.attempt()).findFirst();
        out.printf(Locale.ROOT, "recovery: %s (pid %d) killed with SIGKILL while it ran %s, attempt %d%n", kill.worker(),
                kill.pid(), kill.partition(), kill.attempt());
        lost.ifPresent(a -> out.printf(Locale.ROOT, "  lost attempt: %s attempt %d on %s, outcome %s, %d items made "
                        + "before the kill; its lease ran out and the manager queued it again %.2f s after the kill "
                        + "(%d redispatched event(s))%n", a.name(), a.attempt(), workerName(a.worker()), a.outcome(),
                a.items(), a.endedAt() == null ? Double.NaN : millisBetween(kill.at(), a.endedAt()) / 1e3,
                audit.events(run, "redispatched")));
        if (again.isEmpty()) {
            out.println("  the partition did not run again");
            return false;
        }
        PartitionAudit.AttemptItems a = again.get();
        out.printf(Locale.ROOT, "  ran again: attempt %d on %s %.2f s after the kill, outcome %s, %d items made%n",
                a.attempt(), workerName(a.worker()), millisBetween(kill.at(), a.startedAt()) / 1e3, a.outcome(), a.items());
        return "lost".equals(lost.map(PartitionAudit.AttemptItems::outcome).orElse(null)) && "completed".equals(a.outcome());
    }

    /** One output row per item, distinct paths, every file on disk with its SHA-256, nothing else there. */
    private boolean exactlyOnce(RequestRow row, PartitionAudit audit) throws IOException {
        PartitionAudit.Once once = audit.once(row.id());
        Path folder = client.getBean(OutputRoot.class).folder(row.id(), row.outputDir());
        int good = 0;
        Set<String> named = new HashSet<>();
        for (PartitionAudit.OutputFile f : audit.outputs(row.id())) {
            Path file = folder.resolve(f.path());
            named.add(file.getFileName().toString());
            if (Files.isRegularFile(file) && ItemWriter.sha256(file).equals(f.sha256())) {
                good++;
            }
        }
        long images;
        try (var files = Files.list(folder)) {
            images = files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".png")).count();
        }
        boolean ok = once.done() == once.items() && once.outputs() == once.items() && once.distinctPaths() == once.items()
                && good == once.items() && images == once.items();
        out.printf(Locale.ROOT, "exactly once: %s: %d items, %d done, %d output rows, %d distinct files, %d on disk with "
                        + "their SHA-256, %d PNG files in the folder; %d item(s) made a second time (a micro-batch in "
                        + "flight when its worker died), each still with one output%n", ok ? "yes" : "NO", once.items(),
                once.done(), once.outputs(), once.distinctPaths(), good, images, once.madeAgain());
        return ok;
    }

    /** The request: the demo's captions in turn, item i with seed 1 + i, through the bundled model. */
    private ObjectNode request(String requestId) {
        List<String> captions = new ArrayList<>();
        for (String size : SIZES) {
            for (String colour : COLOURS) {
                for (String shape : SHAPES) {
                    for (String position : POSITIONS) {
                        captions.add("a " + size + " " + colour + " " + shape + " " + position + " on a white background");
                    }
                }
            }
        }
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("requestId", requestId);
        r.put("kind", "image");
        r.put("model", MODEL);
        ArrayNode prompts = r.putArray("prompts");
        for (int i = 0; i < items; i++) {
            ObjectNode p = prompts.addObject();
            p.put("prompt", captions.get(i % captions.size()));
            p.put("seed", 1 + i);
        }
        ObjectNode params = r.putObject("params");
        params.put("sampler", "dpmpp-2m");
        params.put("steps", steps);
        params.put("guidance", 5.0);
        ObjectNode output = r.putObject("output");
        output.put("location", "cluster-demo/" + requestId);
        output.put("format", "png");
        r.putObject("labels").put("source", "cluster-demo");
        return r;
    }

    private ChildProcess service(String name, List<String> heap, List<String> jvm, Path dir, Path logs) throws IOException {
        List<String> options = new ArrayList<>(heap);
        options.addAll(jvm);
        ChildProcess p = ChildProcess.start(name, options, SERVICE_PROCESS,
                List.of(name, dir.resolve(name).toString()), logs.resolve(name + ".log"));
        services.add(p);
        return p;
    }

    /**
     * Starts {@code java -jar THIS_JAR COMMAND} with the common settings, then this role's, then the user's
     * (a later setting of the same key replaces an earlier one).
     */
    private ChildProcess role(String name, String command, List<String> jvm, Path dir, Path logs,
                              Map<String, String> common, List<String> user, Map<String, String> own) throws IOException {
        Map<String, String> merged = new LinkedHashMap<>(common);
        merged.putAll(own);
        merged.put("diffusion.data-dir", dir.resolve(name).toString());
        List<String> args = new ArrayList<>(List.of(command));
        Set<String> userKeys = user.stream().map(ClusterDemoCommand::key).collect(Collectors.toSet());
        merged.forEach((k, v) -> {
            if (!userKeys.contains(k)) {
                args.add("--" + k + "=" + v);
            }
        });
        args.addAll(user);
        List<String> options = new ArrayList<>(jvm);
        options.add("-XX:ErrorFile=" + logs.resolve(name + "-hs_err_%p.log"));
        ChildProcess p = ChildProcess.start(name, options, Main.class.getName(), args, logs.resolve(name + ".log"));
        roles.add(p);
        return p;
    }

    private static String key(String arg) {
        int eq = arg.indexOf('=');
        return (eq < 0 ? arg : arg.substring(0, eq)).substring(2);
    }

    /**
     * Stops everything this command started, once: the client context, then the workers and the manager
     * (SIGTERM, together), then the broker and PostgreSQL. Also the shutdown hook (Ctrl-C).
     */
    private synchronized void stopAll() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                err.println("cluster-demo: client context not closed cleanly: " + e.getMessage());
            }
        }
        List<ChildProcess> live = roles.stream().filter(ChildProcess::isAlive).toList();
        if (!live.isEmpty()) {
            err.println("stopping " + live.stream().map(ChildProcess::name).collect(Collectors.joining(", ")) + " (SIGTERM)");
        }
        live.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy));
        live.forEach(p -> p.stop(GRACE));
        for (int i = services.size() - 1; i >= 0; i--) { // the broker, then PostgreSQL
            services.get(i).stop(GRACE);
        }
    }

    private String workerName(String instance) {
        ChildProcess w = workerByPid.get(pidOf(instance));
        return w != null ? w.name() : instance;
    }

    /** The pid in an instance id {@code host:pid:random}. */
    private static String pidOf(String instance) {
        if (instance == null) {
            return "";
        }
        String[] parts = instance.split(":");
        return parts.length >= 3 ? parts[parts.length - 2] : "";
    }

    /** The seconds an attempt ran: to its end, or, for the killed one, to the kill. */
    private static double busySeconds(PartitionAudit.AttemptItems a, Kill kill) {
        Instant end = a.endedAt();
        if (kill != null && a.stepExecutionId() == kill.stepExecutionId() && a.attempt() == kill.attempt()) {
            end = kill.at();
        }
        return end == null || a.startedAt() == null ? 0 : millisBetween(a.startedAt(), end) / 1e3;
    }

    private int grid() {
        return partitions > 0 ? partitions : 2 * workers;
    }

    private static String throughput(RunStats s) {
        return String.format(Locale.ROOT, "%d items in %.2f s (generate step) = %.2f items/s", s.itemsDone(),
                s.wallSeconds(), s.wallSeconds() > 0 ? s.itemsDone() / s.wallSeconds() : 0);
    }

    private static long millisBetween(Instant a, Instant b) {
        return Duration.between(a, b).toMillis();
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw usage(message);
        }
    }
}
