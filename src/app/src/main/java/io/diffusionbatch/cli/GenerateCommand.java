package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.ParamViolation;
import io.diffusionbatch.engine.model.EngineException;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.ModelIdentity;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.media.OutputFormat;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
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
 * {@code generate}: renders images or videos from a model folder to files.
 * With {@code --count 1} and an {@code --out} that ends in the format's extension, the output is
 * that file; otherwise {@code --out} is a folder and item {@code i} (seed {@code seed + i}) is
 * written as {@code NNNNN-SEED.EXT}. One instance per command line; not thread-safe.
 */
@Command(name = "generate", sortOptions = false,
        description = {"Render images or videos from a model folder to files.",
                "With --count 1 and an --out that ends in the format's extension, the output is that file; "
                        + "otherwise --out is a folder and item i (seed SEED+i) is written as NNNNN-SEED.EXT "
                        + "with a sidecar NNNNN-SEED.json. A progress bar goes to stderr; the last line on "
                        + "stdout is the cost summary."})
final class GenerateCommand implements Callable<Integer> {

    /** The bundled demo model, used when no --model is given. */
    static final String DEFAULT_MODEL = "models/shapes-ldm";

    /** The largest seed: 2^53 − 1, the largest integer a JSON reader with doubles keeps exactly. */
    static final long MAX_SEED = (1L << 53) - 1;

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    @Option(names = "--model", paramLabel = "DIR", defaultValue = DEFAULT_MODEL,
            description = "Model folder in the Stable Diffusion ONNX layout (default: ${DEFAULT-VALUE}, the bundled "
                    + "model, found when run from the repository root).")
    private Path model;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "What to make. Required by models with a text encoder, refused by unconditional ones.")
    private String prompt;

    @Option(names = "--negative", paramLabel = "TEXT", description = "Negative prompt; needs guidance > 1.")
    private String negative;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the first item; item i gets N+i; "
            + "0 .. 2^53-1 (default: a random seed below 2^32, recorded with the outputs).")
    private Long seed;

    @Option(names = "--sampler", paramLabel = "SAMPLER", completionCandidates = Candidates.SamplerNames.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: the model's: dpmpp-2m, or lcm for a "
                    + "consistency model).")
    private String sampler;

    @Option(names = "--steps", paramLabel = "N",
            description = "Sampling steps, 1..1000 (default: the model's: 20, or 4 for a consistency model).")
    private Integer steps;

    @Option(names = "--guidance", paramLabel = "X", description = "Classifier-free guidance scale, >= 0; <= 1 skips "
            + "the unconditional pass (default: 7.5; 1 for unconditional and consistency models).")
    private Double guidance;

    @Option(names = "--guidance-rescale", paramLabel = "X", defaultValue = "0",
            description = "Guidance rescale, 0..1 (default: ${DEFAULT-VALUE}).")
    private double guidanceRescale;

    @Option(names = "--eta", paramLabel = "X", defaultValue = "0",
            description = "DDIM's eta, 0..1; the other samplers ignore it (default: ${DEFAULT-VALUE}).")
    private double eta;

    @Option(names = "--width", paramLabel = "W", description = "Width in pixels (default: the model's native size).")
    private Integer width;

    @Option(names = "--height", paramLabel = "H", description = "Height in pixels (default: the model's native size).")
    private Integer height;

    @Option(names = "--frames", paramLabel = "N",
            description = "Frames of a video (default: the model's; image models take 0 only).")
    private Integer frames;

    @Option(names = "--fps", paramLabel = "N", defaultValue = "8",
            description = "Frames per second of a written video, 1..120 (default: ${DEFAULT-VALUE}).")
    private int fps;

    @Option(names = "--timestep-spacing", paramLabel = "SPACING", completionCandidates = Candidates.TimestepSpacings.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: the model's scheduler_config.json).")
    private String timestepSpacing;

    @Option(names = "--prediction-type", paramLabel = "TYPE", completionCandidates = Candidates.PredictionTypes.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: the model's scheduler_config.json).")
    private String predictionType;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
            description = "Micro-batch: items per network call, 1..1024 (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "Number of items, 1..1000000 (default: ${DEFAULT-VALUE}).")
    private int count;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", completionCandidates = Candidates.Devices.class,
            description = "${COMPLETION-CANDIDATES}; cuda needs the -Pcuda build and a GPU (default: ${DEFAULT-VALUE}).")
    private String device;

    @Option(names = "--device-id", paramLabel = "N", defaultValue = "0",
            description = "CUDA device ordinal (default: ${DEFAULT-VALUE}).")
    private int deviceId;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 = its default, one per core (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = "--format", paramLabel = "FORMAT", completionCandidates = Candidates.OutputFormats.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: png for images, mp4 for videos).")
    private String format;

    @Option(names = "--save-latent", arity = "0",
            description = "Also write NAME.latent.npy, the sampler's final latent as float32.")
    private boolean saveLatent;

    @Option(names = "--out", paramLabel = "PATH", required = true, description = "File or folder to write to.")
    private Path target;

    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the command; returns the process exit code. */
    @Override
    public Integer call() {
        if (!given("--model") && !Files.isDirectory(model)) {
            throw usage("--model: required (a model folder in the Stable Diffusion ONNX layout); the bundled"
                    + " default " + DEFAULT_MODEL + " is not here (run from the repository root)");
        }
        if (count < 1 || count > 1_000_000) {
            throw usage("--count: must be between 1 and 1000000, was " + count);
        }
        if (fps < 1 || fps > 120) {
            throw usage("--fps: must be between 1 and 120, was " + fps);
        }
        EngineOptions engineOptions;
        try {
            engineOptions = new EngineOptions(device, deviceId, threads, batch);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        try (Engine engine = open(spec, model, engineOptions)) {
            SamplingParams d = engine.defaultParams();
            SamplingParams params = new SamplingParams(sampler != null ? sampler : d.sampler(),
                    steps != null ? steps : d.steps(), guidance != null ? guidance : d.guidance(), guidanceRescale, eta,
                    width != null ? width : d.width(), height != null ? height : d.height(),
                    frames != null ? frames : d.frames(), timestepSpacing, predictionType);
            List<ParamViolation> violations = engine.violations(params);
            if (!violations.isEmpty()) {
                throw usage(asOptions(violations));
            }
            OutputFormat outputFormat = format(engine);
            checkPrompts(engine, params);
            long first = firstSeed();
            boolean single = count == 1 && target.getFileName() != null
                    && target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith("." + outputFormat.extension());
            checkTarget(single);
            List<GenerationSpec> specs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                specs.add(new GenerationSpec(prompt != null ? prompt : "", negative != null ? negative : "", first + i,
                        params));
            }
            ModelIdentity identity = engine.identity(); // hashes the model folder: not part of the timed run
            long start = System.nanoTime();
            long[] nfe = {0};
            long[] flops = {0};
            boolean[] truncated = {false};
            ProgressBar bar = new ProgressBar(err);
            try {
                engine.generate(specs, (i, item) -> {
                    Path file = single ? target : target.resolve(String.format(Locale.ROOT, "%05d-%d.%s", i,
                            item.spec().seed(), outputFormat.extension()));
                    ItemWriter.write(item, identity, file, outputFormat, fps, saveLatent);
                    nfe[0] += item.counters().nfe();
                    flops[0] += item.counters().cost().flopsPerSample();
                    truncated[0] |= item.promptTruncated();
                }, bar);
            } finally {
                bar.end();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (truncated[0]) {
                err.println("warning: --prompt or --negative was longer than the tokenizer's limit and was truncated");
            }
            out.println(summary(count, engine.isVideo(), nfe[0] / count, flops[0] / (double) count, seconds,
                    engineOptions.batchSize(), engine.device().label(), target));
            return 0;
        }
    }

    /** Opens the model; a folder or model that cannot be used is a usage error (exit 2) of the command. */
    static Engine open(CommandSpec spec, Path model, EngineOptions options) {
        try {
            return Engine.open(model, options);
        } catch (EngineException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private void checkPrompts(Engine engine, SamplingParams params) {
        if (engine.isConditional() && prompt == null) {
            throw usage("--prompt: required for model " + engine.model().name() + " (it has a text encoder)");
        }
        if (!engine.isConditional() && (prompt != null || negative != null)) {
            throw usage("--" + (prompt != null ? "prompt" : "negative") + ": model " + engine.model().name()
                    + " is unconditional (no text encoder); it takes no prompt");
        }
        if (negative != null && !engine.unconditionalPass(params)) {
            throw usage("--negative: has no effect " + (engine.geometry().guidanceEmbedded()
                    ? "on model " + engine.model().name() + ": it takes guidance as an embedding (a guidance-distilled"
                    + " consistency model) and runs no unconditional pass"
                    : "with guidance " + params.guidance() + "; a negative prompt needs guidance > 1"));
        }
    }

    /**
     * The first item's seed. Seeds are 0 .. 2^53 − 1, so that they survive JSON readers that hold
     * numbers as doubles; a random one is drawn below 2^32, as the A1111 web UI does.
     */
    private long firstSeed() {
        if (seed == null) {
            return new SecureRandom().nextInt() & 0xFFFFFFFFL;
        }
        if (seed < 0 || seed + count - 1 > MAX_SEED) {
            throw usage("--seed: must be between 0 and " + MAX_SEED + " (with --count " + count
                    + ", at most " + (MAX_SEED - count + 1) + "), was " + seed);
        }
        return seed;
    }

    private void checkTarget(boolean single) {
        if (!single && Files.exists(target) && !Files.isDirectory(target)) {
            throw usage("--out: " + target + " is a file; with --count > 1 or another extension it must be"
                    + " a folder");
        }
        Path parent = single ? target.toAbsolutePath().getParent() : target.toAbsolutePath();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p) || !Files.isWritable(p)) {
                    throw usage("--out: cannot write under " + p);
                }
                return;
            }
        }
    }

    private OutputFormat format(Engine engine) {
        OutputFormat f;
        try {
            f = OutputFormat.parse(format != null ? format : engine.isVideo() ? "mp4" : "png");
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage());
        }
        if (engine.isVideo() ? !f.holdsVideo() : !f.holdsImage()) {
            throw usage("--format: " + f.extension() + " cannot hold "
                    + (engine.isVideo() ? "a video; use mp4, gif or npy" : "an image; use png or npy"));
        }
        return f;
    }

    static String summary(int count, boolean video, long nfePerItem, double flopsPerItem, double seconds, int batch,
                          String device, Path where) {
        String unit = video ? "videos" : "images";
        return String.format(Locale.ROOT, "done: %d %s, NFE %d/%s, %.2f GFLOPs/%s, %.2f s, %.3f %s/s (batch %d, %s) -> %s",
                count, count == 1 ? unit.substring(0, unit.length() - 1) : unit, nfePerItem, video ? "video" : "image", flopsPerItem / 1e9, video ? "video" : "image",
                seconds, count / seconds, unit, batch, device, where);
    }

    /** The engine's refusals as the options they concern, one per line: {@code --steps: must be ...}. */
    static String asOptions(List<ParamViolation> violations) {
        return violations.stream().map(v -> "--" + v).collect(java.util.stream.Collectors.joining("\n"));
    }
}
