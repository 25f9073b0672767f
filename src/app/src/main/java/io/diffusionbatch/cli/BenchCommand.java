package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.ParamViolation;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.sampler.Samplers;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: the engine's throughput as markdown tables — its overhead against a bare loop of
 * the same sessions, each sampler's NFE and seconds per image, and scaling with batch size. Each
 * figure is the median of several rounds; ratios are taken within a round, so a noisy shared
 * machine disturbs them less than absolute figures. One instance per command line; not thread-safe.
 */
@Command(name = "bench", sortOptions = false,
        description = {"Engine throughput: overhead vs a bare ONNX Runtime loop, samplers, batch scaling.",
                "Markdown tables: overhead against a bare ONNX Runtime loop of the same "
                + "sessions, NFE and seconds per image for every sampler, and batch-size scaling (see "
                + "docs/BENCHMARKS.md). Each figure is the median of --rounds rounds."})
final class BenchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Model folder in the Stable Diffusion ONNX layout.")
    private Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "a red circle on a blue background",
            description = "Prompt of every item (default: ${DEFAULT-VALUE}).")
    private String prompt;

    @Option(names = "--sampler", paramLabel = "SAMPLER", defaultValue = "dpmpp-2m",
            completionCandidates = Candidates.SamplerNames.class,
            description = "Sampler of the overhead and batch tables; the sampler table runs all of "
                    + "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    private String sampler;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "20",
            description = "Sampling steps, 1..1000 (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--guidance", paramLabel = "X",
            description = "Guidance scale (default: the model's: 7.5; 1 for unconditional and consistency models).")
    private Double guidance;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "4",
            description = "Micro-batch of the overhead and sampler tables, 1..1024 (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--batches", paramLabel = "N,N,...", defaultValue = "1,2,4,8",
            description = "Batch sizes of the scaling table, each 1..64 (default: ${DEFAULT-VALUE}).")
    private String batches;

    @Option(names = "--items", paramLabel = "N", defaultValue = "16",
            description = "Items per round, 1..100000 (default: ${DEFAULT-VALUE}).")
    private int items;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
            description = "Rounds per figure, 1..1000 (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 = its default, one per core (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", completionCandidates = Candidates.Devices.class,
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    private String device;

    private final PrintStream out;

    BenchCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        if (batch < 1 || batch > 1024) {
            throw usage("--batch: must be between 1 and 1024, was " + batch);
        }
        if (items < 1 || items > 100_000) {
            throw usage("--items: must be between 1 and 100000, was " + items);
        }
        if (rounds < 1 || rounds > 1000) {
            throw usage("--rounds: must be between 1 and 1000, was " + rounds);
        }
        List<Integer> sizes = new ArrayList<>();
        for (String b : batches.split(",")) {
            int value;
            try {
                value = Integer.parseInt(b.trim());
            } catch (NumberFormatException e) {
                throw usage("--batches: must be a comma-separated list of integers, was '" + b + "'");
            }
            if (value < 1 || value > 64) {
                throw usage("--batches: each batch size must be between 1 and 64, was " + value);
            }
            sizes.add(value);
        }
        EngineOptions options;
        try {
            options = new EngineOptions(device, 0, threads, batch);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        try (Engine engine = GenerateCommand.open(spec, model, options)) {
            SamplingParams p = params(engine);
            List<ParamViolation> v = engine.violations(p);
            if (!v.isEmpty()) {
                throw usage(GenerateCommand.asOptions(v));
            }
            out.printf(Locale.ROOT, "model %s, %s, %d threads (0 = ORT default), %s %d steps, guidance %.1f, %dx%d%n%n",
                    engine.model().name(), engine.device().label(), threads, p.sampler(), p.steps(), p.guidance(),
                    p.width(), p.height());
            overhead(engine, p, prompt, batch, items, rounds);
            perSampler(engine, p, prompt, batch, items, rounds);
        }
        SamplingParams p;
        try (Engine e = GenerateCommand.open(spec, model, EngineOptions.cpu())) {
            p = params(e);
        }
        batchScaling(model, device, threads, p, prompt, sizes, items, rounds);
        return 0;
    }

    private SamplingParams params(Engine engine) {
        SamplingParams p = engine.defaultParams().withSampler(sampler).withSteps(steps);
        return guidance != null ? p.withGuidance(guidance) : p;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
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
