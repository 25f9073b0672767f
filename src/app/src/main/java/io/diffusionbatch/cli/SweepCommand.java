package io.diffusionbatch.cli;

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
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * {@code sweep --model M --samplers A,B --steps 4,8,20 --prompts FILE}: one request per (sampler,
 * steps) point through the normal Kafka path to a running server, waits for the runs, and writes
 * the quality-vs-NFE table (markdown + CSV) and plot (SVG) with the Pareto front. Points already
 * run under the same {@code --id} are not run again (the server answers duplicate with the
 * existing run), so an interrupted sweep is resumed by repeating the command. Not thread-safe.
 */
final class SweepCommand {

    static final Set<String> VALUED = Set.of("model", "samplers", "steps", "prompts", "limit", "guidance", "seed", "id",
            "out", "timeout", "max-fid", "min-adherence");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final PrintStream err;

    SweepCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options o = Options.parse(split.own(), VALUED, Set.of());
        for (String required : List.of("model", "prompts")) {
            if (!o.has(required)) {
                throw new UsageException("--" + required + ": required");
            }
        }
        List<String> prompts = readPrompts(Path.of(o.string("prompts", null)), o.integer("limit", Integer.MAX_VALUE));
        String id = o.string("id", "sweep-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        SweepPlan plan;
        try {
            plan = new SweepPlan(id, o.string("model", null), csv(o.string("samplers", "ddim,dpmpp-2m")),
                    csv(o.string("steps", "4,8,10,20,50")).stream().map(s -> parseSteps(s)).toList(),
                    o.has("guidance") ? o.number("guidance", 0) : null, prompts, o.longValue("seed", 0));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        Duration timeout = Duration.ofSeconds(o.integer("timeout", 24 * 3600));
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", split.spring())) {
            if (ctx.containsBean("localServices")) {
                throw new UsageException("no server is running for this data directory: start one with "
                        + "'java -jar target/diffusion-batch.jar serve'");
            }
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            Path dir = o.has("out") ? Path.of(o.string("out", null)) : props.dataDir().resolve("sweeps").resolve(id);
            Map<Long, SweepPlan.PointRequest> runs = submit(plan, props);
            List<RunFigures> figures = await(runs, ctx, timeout);
            SweepReport report = new SweepReport(figures);
            write(dir, id, plan, report);
            out.print(report.markdown());
            cheapest(o, figures);
            err.println("sweep " + id + ": " + figures.size() + " of " + plan.requests().size() + " points; table, CSV and plot in " + dir);
            return figures.size() == plan.requests().size() ? 0 : 1;
        }
    }

    private Map<Long, SweepPlan.PointRequest> submit(SweepPlan plan, DiffusionProperties props) {
        Map<Long, SweepPlan.PointRequest> runs = new LinkedHashMap<>();
        try (EventFollower follower = new EventFollower(props.kafka());
             KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka())) {
            for (SweepPlan.PointRequest p : plan.requests()) {
                producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), p.requestId(), p.json())).get();
                EventFollower.Outcome r = follower.follow(p.requestId(), true, Duration.ofSeconds(120), err);
                JsonNode ev = r.event();
                switch (r.type()) {
                    case "accepted", "duplicate" -> runs.put(ev.path("runId").asLong(), p);
                    case "rejected" -> {
                        List<String> reasons = new ArrayList<>();
                        ev.path("reasons").forEach(m -> reasons.add(m.asString()));
                        err.println("point " + p.sampler() + " " + p.steps() + " refused: " + String.join("; ", reasons));
                    }
                    default -> err.println("point " + p.sampler() + " " + p.steps() + ": no answer from the server ("
                            + r.type() + ")");
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

    private void cheapest(Options o, List<RunFigures> figures) {
        if (o.has("max-fid")) {
            report(ParetoFront.cheapestMeeting(SweepReport.points(figures, true), o.number("max-fid", 0), true),
                    "FID <= " + o.string("max-fid", ""), figures);
        }
        if (o.has("min-adherence")) {
            report(ParetoFront.cheapestMeeting(SweepReport.points(figures, false), o.number("min-adherence", 0), false),
                    "adherence >= " + o.string("min-adherence", ""), figures);
        }
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
    static List<String> readPrompts(Path file, int limit) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("--prompts: cannot read " + file + ": " + e.getMessage());
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
                    throw new UsageException("--prompts: " + file + " line " + (i + 1) + " is not JSON");
                }
                if (!n.path("prompt").isString()) {
                    throw new UsageException("--prompts: " + file + " line " + (i + 1) + " has no string field 'prompt'");
                }
                prompts.add(n.path("prompt").asString());
            } else {
                prompts.add(line);
            }
        }
        if (prompts.isEmpty()) {
            throw new UsageException("--prompts: " + file + " holds no prompt");
        }
        return prompts;
    }

    private static List<String> csv(String s) {
        return List.of(s.split(",")).stream().map(String::strip).filter(x -> !x.isEmpty()).toList();
    }

    private static int parseSteps(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new UsageException("--steps: must be a comma-separated list of integers, got '" + s + "'");
        }
    }
}
