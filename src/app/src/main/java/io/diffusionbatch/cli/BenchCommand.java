package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.sampler.Samplers;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code bench}: the engine's throughput as markdown tables — its overhead against a bare loop of
 * the same sessions, each sampler's NFE and seconds per image, and scaling with batch size. Each
 * figure is the median of several rounds; ratios are taken within a round, so a noisy shared
 * machine disturbs them less than absolute figures.
 *
 * <pre>
 * bench --model DIR [--prompt TEXT] [--sampler NAME] [--steps N] [--batch N] [--batches 1,2,4,8]
 *       [--items N] [--rounds N] [--threads N] [--device cpu|cuda]
 * </pre>
 */
final class BenchCommand {

    static final Set<String> VALUED = Set.of("model", "prompt", "sampler", "steps", "batch", "batches", "items",
            "rounds", "threads", "device", "guidance");

    private final PrintStream out;

    BenchCommand(PrintStream out) {
        this.out = out;
    }

    int run(String[] args) {
        Options o = Options.parse(args, VALUED, Set.of());
        if (!o.has("model")) {
            throw new UsageException("--model: required");
        }
        int batch = o.integer("batch", 4);
        int items = o.integer("items", 16);
        int rounds = o.integer("rounds", 5);
        if (batch < 1 || batch > 1024) {
            throw new UsageException("--batch: must be between 1 and 1024, was " + batch);
        }
        if (items < 1 || items > 100_000) {
            throw new UsageException("--items: must be between 1 and 100000, was " + items);
        }
        if (rounds < 1 || rounds > 1000) {
            throw new UsageException("--rounds: must be between 1 and 1000, was " + rounds);
        }
        List<Integer> batches = new ArrayList<>();
        for (String b : o.string("batches", "1,2,4,8").split(",")) {
            int value;
            try {
                value = Integer.parseInt(b.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--batches: must be a comma-separated list of integers, was '" + b + "'");
            }
            if (value < 1 || value > 64) {
                throw new UsageException("--batches: each batch size must be between 1 and 64, was " + value);
            }
            batches.add(value);
        }
        Path model = Path.of(o.string("model", null));
        String device = o.string("device", "cpu");
        int threads = o.integer("threads", 0);
        String prompt = o.string("prompt", "a red circle on a blue background");
        EngineOptions options;
        try {
            options = new EngineOptions(device, 0, threads, batch);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        try (Engine engine = GenerateCommand.open(model, options)) {
            SamplingParams p = engine.defaultParams().withSampler(o.string("sampler", "dpmpp-2m"))
                    .withSteps(o.integer("steps", 20));
            if (o.has("guidance")) {
                p = p.withGuidance(o.number("guidance", 7.5));
            }
            List<String> v = engine.violations(p);
            if (!v.isEmpty()) {
                throw new UsageException("--" + String.join("\n--", v));
            }
            out.printf(Locale.ROOT, "model %s, %s, %d threads (0 = ORT default), %s %d steps, guidance %.1f, %dx%d%n%n",
                    engine.model().name(), engine.device().label(), threads, p.sampler(), p.steps(), p.guidance(),
                    p.width(), p.height());
            overhead(engine, p, prompt, batch, items, rounds);
            perSampler(engine, p, prompt, batch, items, rounds);
        }
        batchScaling(model, device, threads, p(model, o), prompt, batches, items, rounds);
        return 0;
    }

    private static SamplingParams p(Path model, Options o) {
        try (Engine e = GenerateCommand.open(model, EngineOptions.cpu())) {
            SamplingParams p = e.defaultParams().withSampler(o.string("sampler", "dpmpp-2m")).withSteps(o.integer("steps", 20));
            return o.has("guidance") ? p.withGuidance(o.number("guidance", 7.5)) : p;
        }
    }

    private void overhead(Engine engine, SamplingParams p, String prompt, int batch, int items, int rounds) {
        int n = Math.max(batch, items / batch * batch);
        List<GenerationSpec> specs = specs(p, prompt, n);
        engine.generate(specs);
        engine.bareLoopSeconds(p, batch);
        double[] ratio = new double[rounds];
        double[] engineRate = new double[rounds];
        double[] bareRate = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double bare = 0;
            for (int k = 0; k < n / batch; k++) {
                bare += engine.bareLoopSeconds(p, batch);
            }
            double eng = time(() -> engine.generate(specs));
            engineRate[r] = n / eng;
            bareRate[r] = n / bare;
            ratio[r] = engineRate[r] / bareRate[r];
        }
        out.println("| batch | items | engine images/s | bare loop images/s | engine / bare (median of " + rounds + ") |");
        out.println("|---|---|---|---|---|");
        out.printf(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.3f |%n%n", batch, n, median(engineRate), median(bareRate),
                median(ratio));
    }

    private void perSampler(Engine engine, SamplingParams p, String prompt, int batch, int items, int rounds) {
        int n = Math.max(batch, items / batch * batch);
        out.println("| sampler | steps | NFE/image | s/image | images/s |");
        out.println("|---|---|---|---|---|");
        for (String name : Samplers.names()) {
            SamplingParams q = p.withSampler(name);
            if (!engine.violations(q).isEmpty()) {
                out.printf(Locale.ROOT, "| %s | %d | - | - | not valid here: %s |%n", name, q.steps(), engine.violations(q));
                continue;
            }
            List<GenerationSpec> specs = specs(q, prompt, n);
            List<GeneratedItem> first = engine.generate(specs);
            double[] s = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                s[r] = time(() -> engine.generate(specs)) / n;
            }
            out.printf(Locale.ROOT, "| %s | %d | %d | %.4f | %.2f |%n", name, q.steps(), first.get(0).counters().nfe(),
                    median(s), 1 / median(s));
        }
        out.println();
    }

    private void batchScaling(Path model, String device, int threads, SamplingParams p, String prompt,
                              List<Integer> batches, int items, int rounds) {
        int n = batches.stream().reduce(1, BenchCommand::lcm);
        n = Math.max(n, (items + n - 1) / n * n);
        List<GenerationSpec> specs = specs(p, prompt, n);
        List<Engine> engines = new ArrayList<>();
        try {
            for (int b : batches) {
                engines.add(Engine.open(model, new EngineOptions(device, 0, threads, b)));
                engines.get(engines.size() - 1).generate(specs.subList(0, b));
            }
            double[][] rate = new double[batches.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < engines.size(); i++) {
                    Engine e = engines.get(i);
                    rate[i][r] = n / time(() -> e.generate(specs));
                }
            }
            double base = median(rate[0]);
            out.println("| batch | images/s | vs batch " + batches.get(0) + " |");
            out.println("|---|---|---|");
            for (int i = 0; i < batches.size(); i++) {
                out.printf(Locale.ROOT, "| %d | %.2f | %.2f |%n", batches.get(i), median(rate[i]), median(rate[i]) / base);
            }
        } finally {
            engines.forEach(Engine::close);
        }
    }

    private static List<GenerationSpec> specs(SamplingParams p, String prompt, int n) {
        List<GenerationSpec> specs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            specs.add(new GenerationSpec(prompt, "", i, p));
        }
        return specs;
    }

    private static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e9;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
