package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.sweep.ParetoFront;
import io.diffusionbatch.sweep.SweepPlan;
import io.diffusionbatch.sweep.SweepReport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * {@code sweep --model M --samplers A,B --steps 4,8,20 --prompts FILE}: one request per (sampler,
 * steps) point through the normal Kafka path to a running server, waits for the runs, and writes
 * the quality-vs-NFE table (markdown + CSV) and plot (SVG) with the Pareto front. Points already
 * run under the same {@code --id} are not run again (the server answers duplicate with the
 * existing run), so an interrupted sweep is resumed by repeating the command. One instance per
 * command line; not thread-safe.
 */
@Command(name = "sweep", sortOptions = false,
        description = {"Quality against NFE over (sampler, steps) points, through a running server.",
                "Sends one request per (sampler, steps) point over a prompt set (prompt i gets seed SEED+i) "
                + "through Kafka to the running server; waits for the runs, then writes the quality-vs-NFE table "
                + "(sweep.md, sweep.csv) and plot (sweep.svg) with the FID Pareto front, and prints the table. "
                + "Repeating a sweep with the same --id reuses its finished runs, so an interrupted sweep resumes."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every point has its figures", "1:some point has none (refused, failed, or not finished "
                + "within --timeout)", "2:bad usage or bad input"})
final class SweepCommand extends PlatformCommand {

    private static final JsonMapper JSON = Json.MAPPER;

    @Option(names = "--model", paramLabel = "NAME", required = true,
            description = "Model name of the server's catalog (config/application.yaml), e.g. shapes-ldm.")
    private String model;

    @Option(names = "--prompts", paramLabel = "FILE", required = true,
            description = "Prompt set: .jsonl with a \"prompt\" field per line, or any other file with one prompt per "
                    + "line (blank lines skipped).")
    private Path promptsFile;

    @Option(names = "--limit", paramLabel = "N", description = "Use the first N prompts only (default: all of them).")
    private Integer limit;

    @Option(names = "--samplers", paramLabel = "A,B,...", defaultValue = "ddim,dpmpp-2m",
            description = "Samplers to sweep (default: ${DEFAULT-VALUE}).")
    private String samplers;

    @Option(names = "--steps", paramLabel = "N,N,...", defaultValue = "4,8,10,20,50",
            description = "Step counts to sweep (default: ${DEFAULT-VALUE}).")
    private String steps;

    @Option(names = "--guidance", paramLabel = "X", description = "Guidance scale of every point (default: the model's).")
    private Double guidance;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed base: prompt i gets seed N+i (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--id", paramLabel = "NAME",
            description = "Sweep id; the same id resumes a sweep (default: sweep-YYYYMMDD-HHMMSS, the current time).")
    private String id;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the table, CSV and plot "
            + "(default: DATA/sweeps/ID under the data folder).")
    private Path outDir;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "86400",
            description = "Stop waiting for the runs after S seconds (default: ${DEFAULT-VALUE}).")
    private int timeout;

    @Option(names = "--max-fid", paramLabel = "X", description = "Print the cheapest point with FID <= X.")
    private Double maxFid;

    @Option(names = "--min-adherence", paramLabel = "A",
            description = "Print the cheapest point with adherence >= A (a share, 0..1).")
    private Double minAdherence;

    private final PrintStream out;
    private final PrintStream err;

    SweepCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        List<String> prompts = readPrompts(promptsFile, limit != null ? limit : Integer.MAX_VALUE);
        String sweepId = id != null ? id : "sweep-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        SweepPlan plan;
        try {
            plan = new SweepPlan(sweepId, model, csv(samplers), csv(steps).stream().map(this::parseSteps).toList(),
                    guidance, prompts, seed);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            if (ctx.containsBean("localServices")) {
                throw usage("no server is running for this data directory: start one with "
                        + "'java -jar target/diffusion-batch.jar serve'");
            }
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            Path dir = outDir != null ? outDir : props.dataDir().resolve("sweeps").resolve(sweepId);
            Map<Long, SweepPlan.PointRequest> runs = submit(plan, props, ctx);
            List<RunFigures> figures = await(runs, ctx, Duration.ofSeconds(timeout));
            SweepReport report = new SweepReport(figures);
            write(dir, sweepId, plan, report);
            out.print(report.markdown());
            cheapest(figures);
            err.println("sweep " + sweepId + ": " + figures.size() + " of " + plan.requests().size() + " points; table, CSV and plot in " + dir);
            return figures.size() == plan.requests().size() ? 0 : 1;
        }
    }

    private Map<Long, SweepPlan.PointRequest> submit(SweepPlan plan, DiffusionProperties props,
                                                     ConfigurableApplicationContext ctx) {
        Map<Long, SweepPlan.PointRequest> runs = new LinkedHashMap<>();
        try (EventFollower follower = EventFollower.open(ctx);
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "cli-sweep")) {
            for (SweepPlan.PointRequest p : plan.requests()) {
                producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), p.requestId(), p.json())).get();
                EventFollower.Outcome r = follower.follow(p.requestId(), true, Duration.ofSeconds(120), err);
                JsonNode ev = r.event();
                switch (r.timedOut() ? EventType.FAILED : r.type()) {
                    case ACCEPTED, DUPLICATE -> runs.put(ev.path("runId").asLong(), p);
                    case REJECTED -> {
                        List<String> reasons = new ArrayList<>();
                        ev.path("reasons").forEach(m -> reasons.add(m.asString()));
                        err.println("point " + p.sampler() + " " + p.steps() + " refused: " + String.join("; ", reasons));
                    }
                    default -> err.println("point " + p.sampler() + " " + p.steps() + ": no answer from the server ("
                            + (r.timedOut() ? "timeout" : r.type()) + ")");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending the sweep", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka: cannot send: " + e.getCause().getMessage(), e);
        }
        return runs;
    }

    private List<RunFigures> await(Map<Long, SweepPlan.PointRequest> runs, ConfigurableApplicationContext ctx,
                                   Duration timeout) {
        RequestStore requests = ctx.getBean(RequestStore.class);
        ItemStore items = ctx.getBean(ItemStore.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            int finished = 0;
            String current = "";
            for (long run : runs.keySet()) {
                RequestRow r = requests.find(run).orElseThrow();
                if (r.isFinished()) {
                    finished++;
                } else if (r.status() == RunStatus.RUNNING) {
                    long done = items.countByStatus(run).getOrDefault(ItemStatus.DONE, 0L);
                    current = "; run " + run + " (" + runs.get(run).sampler() + ", " + runs.get(run).steps() + " steps) "
                            + done + "/" + r.itemCount();
                }
            }
            String line = "sweep: " + finished + " of " + runs.size() + " runs finished" + current;
            if (!line.equals(last)) {
                err.println(line);
                last = line;
            }
            if (finished == runs.size() || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        RunFiguresReader reader = ctx.getBean(RunFiguresReader.class);
        List<RunFigures> figures = new ArrayList<>();
        for (long run : runs.keySet()) {
            reader.read(run).ifPresent(figures::add);
        }
        return figures;
    }

    private void write(Path dir, String id, SweepPlan plan, SweepReport report) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("sweep.md"), report.markdown());
            Files.writeString(dir.resolve("sweep.csv"), report.csv());
            Files.writeString(dir.resolve("sweep.svg"), report.svg("sweep " + id + ": " + plan.model() + ", "
                    + plan.prompts().size() + " prompts"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the sweep's files to " + dir + ": " + e.getMessage(), e);
        }
    }

    private void cheapest(List<RunFigures> figures) {
        if (maxFid != null) {
            report(ParetoFront.cheapestMeeting(SweepReport.points(figures, true), maxFid, true),
                    "FID <= " + asGiven("--max-fid"), figures);
        }
        if (minAdherence != null) {
            report(ParetoFront.cheapestMeeting(SweepReport.points(figures, false), minAdherence, false),
                    "adherence >= " + asGiven("--min-adherence"), figures);
        }
    }

    /** An option's value as typed. */
    private String asGiven(String option) {
        return spec().commandLine().getParseResult().matchedOption(option).originalStringValues().get(0);
    }

    private void report(ParetoFront.Point p, String bar, List<RunFigures> figures) {
        if (p == null) {
            out.println("no point meets " + bar);
            return;
        }
        RunFigures f = figures.stream().filter(r -> Long.toString(r.run()).equals(p.label())).findFirst().orElseThrow();
        out.printf(java.util.Locale.ROOT, "cheapest point with %s: %s %d steps (NFE %.0f, run %d)%n", bar, f.sampler(),
                f.steps(), f.nfe(), f.run());
    }

    /** Prompts of a JSON-lines file (field {@code prompt}) or a text file (one per line; blank lines skipped). */
    private List<String> readPrompts(Path file, int limit) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw usage("--prompts: cannot read " + file + ": " + e.getMessage());
        }
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size() && prompts.size() < limit; i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (file.toString().endsWith(".jsonl")) {
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (RuntimeException e) {
                    throw usage("--prompts: " + file + " line " + (i + 1) + " is not JSON");
                }
                if (!n.path("prompt").isString()) {
                    throw usage("--prompts: " + file + " line " + (i + 1) + " has no string field 'prompt'");
                }
                prompts.add(n.path("prompt").asString());
            } else {
                prompts.add(line);
            }
        }
        if (prompts.isEmpty()) {
            throw usage("--prompts: " + file + " holds no prompt");
        }
        return prompts;
    }

    private static List<String> csv(String s) {
        return List.of(s.split(",")).stream().map(String::strip).filter(x -> !x.isEmpty()).toList();
    }

    private int parseSteps(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw usage("--steps: must be a comma-separated list of integers, got '" + s + "'");
        }
    }
}
