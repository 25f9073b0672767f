package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.IntakeResult;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.RequestIntake;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.ExpandTasklet;
import io.diffusionbatch.job.RunContext;
import io.diffusionbatch.job.RunContexts;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.ResultStore;
import io.diffusionbatch.ledger.RunStats;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.request.WorkItem;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code platform-bench}: the figures of issue 5 in one run, as markdown rows.
 * <ol>
 *   <li>expansion rate: a template request of {@code --expand-items} items COPY'd into Postgres
 *       (client role, so no worker runs it);</li>
 *   <li>system vs engine: the demo request through Kafka, intake, the Spring Batch job and the
 *       ledger (images/s over the generate step, and over send → completed), against the engine
 *       alone on the same items at the same micro-batch size in the same process, with and
 *       without writing the PNGs; alternated {@code --rounds} times; and the run's own accounting:
 *       the share of the generate step's wall time that its items spent in the engine's stages
 *       (measured in the same window, so free of the drift between two windows);</li>
 *   <li>time from process start to the first image on disk, and the resident memory.</li>
 * </ol>
 * One instance per command line; not thread-safe.
 */
@Command(name = "platform-bench", sortOptions = false,
        description = {"The platform's figures: system vs engine items/s, first image, memory, expansion.",
                "Issue 5's figures as markdown: the demo request through Kafka, intake, the job and the ledger "
                + "against the engine alone on the same items (items/s, alternated --rounds times), the time from "
                + "process start to the first image on disk, the resident memory, and the rate at which a large "
                + "request is expanded into Postgres."})
final class PlatformBenchCommand extends PlatformCommand {

    private static final JsonMapper JSON = Json.MAPPER;

    @Option(names = "--request", paramLabel = "FILE", defaultValue = DemoCommand.DEMO_REQUEST,
            description = "Request document of the system-vs-engine rounds (default: ${DEFAULT-VALUE}).")
    private Path file;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "System-vs-engine rounds (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--expand-items", paramLabel = "N", defaultValue = "1000000",
            description = "Items of the expansion request (default: ${DEFAULT-VALUE}).")
    private int expandItems;

    @Option(names = "--skip-expand", arity = "0", description = "Leave out the expansion figure.")
    private boolean skipExpand;

    private final PrintStream out;
    private final PrintStream err;

    PlatformBenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        Instant processStart = Instant.ofEpochMilli(ProcessHandle.current().info().startInstant()
                .map(Instant::toEpochMilli).orElse(System.currentTimeMillis()));
        String[] spring = springArgs();
        ObjectNode template = (ObjectNode) JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));

        // measured without the dataset specs' schedules sending nights of their own
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server",
                withDefault(spring, "diffusion.datasets.schedule", "false"))) {
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            err.printf(Locale.ROOT, "services up %.1f s after process start%n",
                    Duration.between(processStart, Instant.now()).toMillis() / 1e3);
            List<double[]> pairs = new ArrayList<>();
            Double firstImage = null;
            for (int r = 0; r < rounds; r++) {
                String id = "bench-" + System.currentTimeMillis() + "-" + r;
                ObjectNode req = template.deepCopy();
                req.put("requestId", id);
                ((ObjectNode) req.path("output")).put("location", "bench/" + id);
                long send = System.nanoTime();
                try (EventFollower f = EventFollower.open(ctx);
                     KafkaProducer<String, byte[]> p = KafkaClients.producer(props.kafka(), "cli-bench")) {
                    p.send(new ProducerRecord<>(props.kafka().requestsTopic(), id, JSON.writeValueAsBytes(req))).get();
                    EventFollower.Outcome outcome = f.follow(id, false, Duration.ofHours(1), err);
                    if (outcome.type() != EventType.COMPLETED) {
                        throw new IllegalStateException("bench request ended " + outcome.type() + ": " + outcome.event());
                    }
                }
                double endToEnd = (System.nanoTime() - send) / 1e9;
                RequestRow row = ctx.getBean(RequestStore.class).findByClientId(id).orElseThrow();
                RunStats s = ctx.getBean(RunStatsStore.class).find(row.id()).orElseThrow();
                if (firstImage == null) {
                    Instant first = ctx.getBean(ResultStore.class).firstOutputAt(row.id()).orElseThrow();
                    firstImage = Duration.between(processStart, first).toMillis() / 1e3;
                }
                RunContext run = ctx.getBean(RunContexts.class).get(row.id());
                double[] engine = engineAlone(run, props.job().batchSize(), ctx);
                double n = row.itemCount();
                // the run's own accounting: the engine's stage seconds inside the same window as the wall time
                double engineInRun = s.tokenizeSeconds() + s.textEncodeSeconds() + s.denoiseSeconds() + s.decodeSeconds();
                pairs.add(new double[]{n / s.wallSeconds(), n / endToEnd, n / engine[0], n / engine[1],
                        engineInRun / s.wallSeconds(), (engineInRun + s.writeSeconds()) / s.wallSeconds()});
                err.printf(Locale.ROOT, "round %d: system %.2f items/s (generate step), %.2f (send→completed); "
                        + "engine alone %.2f, engine + PNG %.2f%n", r, n / s.wallSeconds(), n / endToEnd, n / engine[0], n / engine[1]);
            }
            out.println("| round | system items/s (generate step) | system items/s (send → completed) | engine alone items/s "
                    + "| engine + PNG write items/s | system / engine | system / (engine + write) "
                    + "| in-run engine share | in-run (engine + write) share |");
            out.println("|---|---|---|---|---|---|---|---|---|");
            for (int r = 0; r < pairs.size(); r++) {
                double[] x = pairs.get(r);
                out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f |%n", r, x[0], x[1], x[2], x[3],
                        x[0] / x[2], x[0] / x[3], x[4], x[5]);
            }
            if (pairs.size() > 1) { // round 0 carries the warm-up of the system path
                List<double[]> warm = pairs.subList(1, pairs.size());
                out.printf(Locale.ROOT, "%nmedian of the %d warm rounds: system / engine %.3f, system / (engine + write) %.3f, "
                                + "in-run engine share %.3f, in-run (engine + write) share %.3f%n", warm.size(),
                        median(warm, x -> x[0] / x[2]), median(warm, x -> x[0] / x[3]), median(warm, x -> x[4]),
                        median(warm, x -> x[5]));
            }
            out.printf(Locale.ROOT, "%ntime from process start to the first image on disk: %.1f s%n", firstImage);
            out.printf(Locale.ROOT, "resident memory after the rounds: %d MB%n", rssMb());
        }
        if (!skipExpand) {
            // client role: no dispatcher, so the big request is only expanded, never run
            try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
                expand(ctx, template, expandItems);
            }
        }
        return 0;
    }

    /** Seconds for the engine alone on the run's items: {generate only, generate + PNG}. */
    private static double[] engineAlone(RunContext run, int batch, ConfigurableApplicationContext ctx) throws IOException {
        List<GenerationSpec> specs = new ArrayList<>();
        for (WorkItem w : run.request().expansion()) {
            specs.add(new GenerationSpec(w.prompt(), w.negativePrompt(), w.seed(), run.params()));
        }
        Engine engine = run.engine();
        long a = System.nanoTime();
        for (int i = 0; i < specs.size(); i += batch) {
            engine.generate(specs.subList(i, Math.min(specs.size(), i + batch)));
        }
        double alone = (System.nanoTime() - a) / 1e9;
        Path tmp = Files.createTempDirectory("engine-bench-");
        long b = System.nanoTime();
        int k = 0;
        for (int i = 0; i < specs.size(); i += batch) {
            for (GeneratedItem item : engine.generate(specs.subList(i, Math.min(specs.size(), i + batch)))) {
                ItemWriter.write(item, engine.identity(), tmp.resolve((k++) + ".png"), run.request().output().format(),
                        run.fps(), false);
            }
        }
        double withWrite = (System.nanoTime() - b) / 1e9;
        return new double[]{alone, withWrite};
    }

    private void expand(ConfigurableApplicationContext ctx, ObjectNode template, long items) {
        ObjectNode req = template.deepCopy();
        String id = "bench-expand-" + System.currentTimeMillis();
        req.put("requestId", id);
        long prompts = 1000;
        ObjectNode slots = JSON.createObjectNode();
        var a = slots.putArray("a");
        var b = slots.putArray("b");
        for (int i = 0; i < 100; i++) {
            a.add("colour" + i);
        }
        for (int i = 0; i < prompts / 100; i++) {
            b.add("shape" + i);
        }
        ObjectNode p = JSON.createObjectNode();
        p.put("template", "a {a} {b} on a white background");
        p.set("slots", slots);
        req.set("prompts", p);
        ObjectNode seeds = JSON.createObjectNode();
        seeds.put("count", items / prompts);
        seeds.put("base", 0);
        req.set("seeds", seeds);
        req.put("priority", -1000);
        // accepted, then cancelled so that no later server runs it; only the expansion is timed
        RequestStore requests = ctx.getBean(RequestStore.class);
        IntakeResult r = ctx.getBean(RequestIntake.class).accept(JSON.writeValueAsBytes(req), "bench");
        if (r.run() == null) {
            throw new IllegalStateException("expansion request refused: " + r.violations());
        }
        requests.requestCancel(r.run().id());
        RunContext run = ctx.getBean(RunContexts.class).get(r.run().id());
        long t = System.nanoTime();
        long n = ctx.getBean(ItemStore.class).expand(r.run().id(),
                () -> ExpandTasklet.toNewItems(run.request().expansion().iterator()));
        double s = (System.nanoTime() - t) / 1e9;
        out.printf(Locale.ROOT, "expansion: %d items (%d distinct prompts) into Postgres with COPY in %.2f s = %.0f items/s%n",
                n, prompts, s, n / s);
    }

    static double median(List<double[]> rows, java.util.function.ToDoubleFunction<double[]> f) {
        double[] v = rows.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return -1;
    }
}
