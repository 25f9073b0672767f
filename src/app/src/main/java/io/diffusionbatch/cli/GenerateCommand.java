package io.diffusionbatch.cli;

import io.diffusionbatch.engine.Engine;
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
import java.util.Set;

/**
 * {@code generate}: renders images or videos from a model folder to files.
 *
 * <pre>
 * generate [--model DIR] --prompt TEXT [--negative TEXT] [--seed N] [--sampler NAME] [--steps N]
 *          [--guidance X] [--guidance-rescale X] [--eta X] [--width W --height H] [--frames N --fps N]
 *          [--timestep-spacing leading|trailing|linspace] [--prediction-type epsilon|v_prediction|sample]
 *          [--batch N] [--count N] [--device cpu|cuda] [--threads N] [--format png|npy|gif|mp4]
 *          [--save-latent] --out PATH
 * </pre>
 * With {@code --count 1} and an {@code --out} that ends in the format's extension, the output is
 * that file; otherwise {@code --out} is a folder and item {@code i} (seed {@code seed + i}) is
 * written as {@code NNNNN-SEED.EXT}.
 */
final class GenerateCommand {

    static final Set<String> VALUED = Set.of("model", "prompt", "negative", "seed", "sampler", "steps", "guidance",
            "guidance-rescale", "eta", "width", "height", "frames", "fps", "timestep-spacing", "prediction-type",
            "batch", "count", "device", "device-id", "threads", "format", "out");
    static final Set<String> FLAGS = Set.of("save-latent");

    /** The bundled demo model, used when no --model is given. */
    static final String DEFAULT_MODEL = "models/shapes-ldm";

    /** The largest seed: 2^53 − 1, the largest integer a JSON reader with doubles keeps exactly. */
    static final long MAX_SEED = (1L << 53) - 1;

    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the command; returns the process exit code. */
    int run(String[] args) {
        Options o = Options.parse(args, VALUED, FLAGS);
        if (!o.positional().isEmpty()) {
            throw new UsageException("generate: unexpected argument '" + o.positional().get(0) + "'");
        }
        Path modelDir = Path.of(o.string("model", DEFAULT_MODEL));
        if (!o.has("model") && !Files.isDirectory(modelDir)) {
            throw new UsageException("--model: required (a model folder in the Stable Diffusion ONNX layout); the bundled"
                    + " default " + DEFAULT_MODEL + " is not here (run from the repository root)");
        }
        if (!o.has("out")) {
            throw new UsageException("--out: required (a file or folder to write to)");
        }
        int count = o.integer("count", 1);
        if (count < 1 || count > 1_000_000) {
            throw new UsageException("--count: must be between 1 and 1000000, was " + count);
        }
        int fps = o.integer("fps", 8);
        if (fps < 1 || fps > 120) {
            throw new UsageException("--fps: must be between 1 and 120, was " + fps);
        }
        EngineOptions engineOptions;
        try {
            engineOptions = new EngineOptions(o.string("device", "cpu"), o.integer("device-id", 0),
                    o.integer("threads", 0), o.integer("batch", 1));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        try (Engine engine = open(modelDir, engineOptions)) {
            SamplingParams d = engine.defaultParams();
            SamplingParams params = new SamplingParams(o.string("sampler", d.sampler()), o.integer("steps", d.steps()),
                    o.number("guidance", d.guidance()), o.number("guidance-rescale", 0), o.number("eta", 0),
                    o.integer("width", d.width()), o.integer("height", d.height()), o.integer("frames", d.frames()),
                    o.string("timestep-spacing", null), o.string("prediction-type", null));
            List<String> violations = engine.violations(params);
            if (!violations.isEmpty()) {
                throw new UsageException("--" + String.join("\n--", violations));
            }
            OutputFormat format = format(o, engine);
            checkPrompts(o, engine, params);
            long seed = seed(o, count);
            Path target = Path.of(o.string("out", null));
            boolean single = count == 1 && target.getFileName() != null
                    && target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith("." + format.extension());
            checkTarget(target, single);
            List<GenerationSpec> specs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                specs.add(new GenerationSpec(o.string("prompt", ""), o.string("negative", ""), seed + i, params));
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
                            item.spec().seed(), format.extension()));
                    ItemWriter.write(item, identity, file, format, fps, o.has("save-latent"));
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

    /** Opens the model; a folder or model that cannot be used is a usage error (exit 2). */
    static Engine open(Path model, EngineOptions options) {
        try {
            return Engine.open(model, options);
        } catch (EngineException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void checkPrompts(Options o, Engine engine, SamplingParams params) {
        if (engine.isConditional() && !o.has("prompt")) {
            throw new UsageException("--prompt: required for model " + engine.model().name() + " (it has a text encoder)");
        }
        if (!engine.isConditional() && (o.has("prompt") || o.has("negative"))) {
            throw new UsageException("--" + (o.has("prompt") ? "prompt" : "negative") + ": model " + engine.model().name()
                    + " is unconditional (no text encoder); it takes no prompt");
        }
        if (o.has("negative") && !params.usesGuidance()) {
            throw new UsageException("--negative: has no effect with guidance " + params.guidance()
                    + "; a negative prompt needs guidance > 1");
        }
    }

    /**
     * The first item's seed. Seeds are 0 .. 2^53 − 1, so that they survive JSON readers that hold
     * numbers as doubles; a random one is drawn below 2^32, as the A1111 web UI does.
     */
    static long seed(Options o, int count) {
        if (!o.has("seed")) {
            return new SecureRandom().nextInt() & 0xFFFFFFFFL;
        }
        long seed = o.longValue("seed", 0);
        if (seed < 0 || seed + count - 1 > MAX_SEED) {
            throw new UsageException("--seed: must be between 0 and " + MAX_SEED + " (with --count " + count
                    + ", at most " + (MAX_SEED - count + 1) + "), was " + seed);
        }
        return seed;
    }

    private static void checkTarget(Path target, boolean single) {
        if (!single && Files.exists(target) && !Files.isDirectory(target)) {
            throw new UsageException("--out: " + target + " is a file; with --count > 1 or another extension it must be"
                    + " a folder");
        }
        Path parent = single ? target.toAbsolutePath().getParent() : target.toAbsolutePath();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p) || !Files.isWritable(p)) {
                    throw new UsageException("--out: cannot write under " + p);
                }
                return;
            }
        }
    }

    private static OutputFormat format(Options o, Engine engine) {
        OutputFormat f;
        try {
            f = OutputFormat.parse(o.string("format", engine.isVideo() ? "mp4" : "png"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        if (engine.isVideo() ? !f.holdsVideo() : !f.holdsImage()) {
            throw new UsageException("--format: " + f.extension() + " cannot hold "
                    + (engine.isVideo() ? "a video; use mp4, gif or npy" : "an image; use png or npy"));
        }
        return f;
    }

    static String summary(int count, boolean video, long nfePerItem, double flopsPerItem, double seconds, int batch,
                          String device, Path where) {
        String unit = video ? "videos" : "images";
        return String.format(Locale.ROOT, "done: %d %s, NFE %d/%s, %.2f GFLOPs/%s, %.2f s, %.3f %s/s (batch %d, %s) -> %s",
                count, unit, nfePerItem, video ? "video" : "image", flopsPerItem / 1e9, video ? "video" : "image",
                seconds, count / seconds, unit, batch, device, where);
    }
}
