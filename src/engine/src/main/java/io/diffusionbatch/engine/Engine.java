package io.diffusionbatch.engine;

import ai.onnxruntime.OnnxTensor;
import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.engine.model.EngineException;
import io.diffusionbatch.engine.model.ExecutionDevice;
import io.diffusionbatch.engine.model.ModelFolder;
import io.diffusionbatch.engine.model.ModelNetworks;
import io.diffusionbatch.engine.model.OnnxNetwork;
import io.diffusionbatch.engine.model.TensorSpec;
import io.diffusionbatch.engine.model.TextEncoder;
import io.diffusionbatch.engine.model.Tensors;
import io.diffusionbatch.engine.model.UnetSignature;
import io.diffusionbatch.engine.noise.SeedNoise;
import io.diffusionbatch.engine.sampler.Sampler;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import io.diffusionbatch.engine.tokenizer.TokenizedPrompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Runs one model folder: tokenize, encode the prompts, denoise from seed noise with a sampler and
 * classifier-free guidance, decode, and count what it cost.
 *
 * <p>Items that share {@link SamplingParams} go through the networks together in micro-batches of
 * {@link EngineOptions#batchSize()}; an item's result does not depend on its batch companions,
 * because its noise is a function of its seed alone and samplers update each sample on its own —
 * up to floating-point reassociation inside the networks: on ONNX Runtime's CPU provider at a fixed
 * thread count the results have been bit-identical across batch sizes (see the tests); GPU kernels
 * chosen per shape may differ in the last bits.
 *
 * <p>Thread-safe: ONNX Runtime sessions may be run concurrently and every call keeps its own
 * state. Close it to release the sessions.
 */
public final class Engine implements AutoCloseable {

    /** The engine's version, recorded in every output's provenance. */
    public static final String VERSION = "0.1.0";

    private final ModelFolder model;
    private final ExecutionDevice device;
    private final SchedulerConfig scheduler;
    private final boolean consistencyModel;
    private final boolean turbo;
    private final OnnxNetwork unet;
    private final UnetSignature sig;
    private final List<TextEncoder> textEncoders;
    private final boolean zeroEmptyNegative;
    private final OnnxNetwork vae;
    private final String vaeInput;
    private final String vaeOutput;
    private final int sizeFactor;
    private final CostCounter costs;
    private final int batchSize;
    private final ModelNetworks networks;
    private final ModelGeometry geometry;
    private final long[] nativeCells;
    private ModelIdentity identity;

    /** Latent cells along each side when neither the UNet's graph nor its config.json gives a size. */
    private static final int FALLBACK_CELLS = 64;
    /** The same for Stable Diffusion XL: its pipeline's {@code default_sample_size}, 1024 px. */
    private static final int XL_FALLBACK_CELLS = 128;

    private Engine(ModelFolder model, EngineOptions options) {
        this.model = model;
        this.device = new ExecutionDevice(options.device(), options.deviceId(), options.threads());
        this.batchSize = options.batchSize();
        try {
            this.scheduler = SchedulerConfig.fromFile(model.schedulerConfig());
            String schedulerClass = schedulerClass(model.schedulerConfig());
            this.consistencyModel = "LCMScheduler".equals(schedulerClass);
            this.turbo = model.isXl() && "EulerAncestralDiscreteScheduler".equals(schedulerClass)
                    && scheduler.timestepSpacing() == TimestepSpacing.TRAILING;
        } catch (IllegalArgumentException e) {
            throw new EngineException("model: " + model.schedulerConfig() + ": " + e.getMessage(), e);
        }
        // configs read before any session opens, so that a bad one does not leave sessions behind
        this.zeroEmptyNegative = model.forceZerosForEmptyPrompt();
        long[] configured = ModelFolder.configSize(model.unet().resolveSibling("config.json"), "sample_size");
        this.networks = ModelNetworks.open(model, device);
        try {
            this.unet = networks.unet();
            this.sig = networks.unetSignature();
            this.textEncoders = networks.textEncoders();
            this.vae = networks.vaeDecoder();
            this.vaeInput = networks.vaeInput();
            this.vaeOutput = networks.vaeOutput();
            this.sizeFactor = networks.sizeFactor();
            this.costs = new CostCounter(sig, unet, textEncoders, vae, networks.contextLength(), sizeFactor);
            TensorSpec s = sig.sample();
            long w = s.dim(s.rank() - 1);
            long h = s.dim(s.rank() - 2);
            long pixelChannels = vae == null ? sig.latentChannels()
                    : vae.outputOrFirst(vaeOutput).dim(1) > 0 ? vae.outputOrFirst(vaeOutput).dim(1) : 3;
            this.geometry = new ModelGeometry(model.name(), sig.isVideo(), model.isConditional(), vae != null, sizeFactor,
                    sig.latentChannels(), pixelChannels, w > 0 ? Math.toIntExact(w * sizeFactor) : 0,
                    h > 0 ? Math.toIntExact(h * sizeFactor) : 0, sig.isVideo() && s.dim(2) > 0 ? (int) s.dim(2) : 0,
                    sig.embedsGuidance(), scheduler);
            long fallback = model.isXl() ? XL_FALLBACK_CELLS : FALLBACK_CELLS;
            this.nativeCells = new long[] {h > 0 ? h : configured != null ? configured[0] : fallback,
                    w > 0 ? w : configured != null ? configured[1] : fallback};
        } catch (RuntimeException e) {
            networks.close();
            throw e;
        }
    }

    /**
     * Opens a model folder on the configured device.
     *
     * @throws EngineException naming the file or setting that is wrong
     */
    public static Engine open(Path modelDir, EngineOptions options) {
        return new Engine(ModelFolder.open(modelDir), options);
    }

    public ModelFolder model() {
        return model;
    }

    /** Name and content hash of the model folder; the hash is computed on first use and kept. */
    public synchronized ModelIdentity identity() {
        if (identity == null) {
            identity = new ModelIdentity(model.name(), model.sha256(), model.isLatent(), VERSION);
        }
        return identity;
    }

    public ExecutionDevice device() {
        return device;
    }

    public boolean isVideo() {
        return sig.isVideo();
    }

    public boolean isConditional() {
        return model.isConditional();
    }

    /** What the model can make, as data read from its graphs when it was opened (no ONNX Runtime call). */
    public ModelGeometry geometry() {
        return geometry;
    }

    /** Pixels per latent cell along each side: the VAE's upsampling factor, 1 for pixel models. */
    public int sizeFactor() {
        return sizeFactor;
    }

    /**
     * The output width the UNet is made for, in pixels: its graph's fixed spatial dimension, else
     * unet/config.json {@code sample_size} as the reference pipeline takes it (the engine also reads a
     * list of height and width there, which the pipelines do not), else 64 latent cells (128 for
     * Stable Diffusion XL, its pipeline's fallback); times the VAE's factor.
     */
    public int nativeWidth() {
        return Math.toIntExact(nativeCells[1] * sizeFactor);
    }

    /** The output height the UNet is made for; as {@link #nativeWidth()}. */
    public int nativeHeight() {
        return Math.toIntExact(nativeCells[0] * sizeFactor);
    }

    /** Frames of a video model's fixed frame dimension, else 8; 0 for image models. */
    public int nativeFrames() {
        if (!sig.isVideo()) {
            return 0;
        }
        long f = sig.sample().dim(2);
        return f > 0 ? (int) f : 8;
    }

    /**
     * This model's default settings, at its {@linkplain #nativeWidth() native size}:
     * <ul>
     *   <li>DPM-Solver++ 2M at 20 steps with guidance 7.5 (1 when unconditional; 5.0 for Stable
     *       Diffusion XL, its pipeline's default);</li>
     *   <li>a distilled consistency model (its {@code scheduler_config.json} names {@code LCMScheduler}):
     *       the {@code lcm} sampler at 4 steps with no unconditional pass; guidance 1 when the guidance
     *       was distilled into the weights, or, for a UNet that takes it as an embedding
     *       ({@code timestep_cond}), the LCM pipeline's default w = 8.5 (5.0 for an XL folder, whose
     *       pipeline is the SDXL one);</li>
     *   <li>SDXL-Turbo (an XL folder whose scheduler is {@code EulerAncestralDiscreteScheduler} with
     *       {@code timestep_spacing: trailing}, as its release ships it): {@code euler-a} at 1 step with
     *       guidance 0, i.e. no unconditional pass, as its model card runs it.</li>
     * </ul>
     */
    public SamplingParams defaultParams() {
        SamplingParams d = SamplingParams.defaults(nativeWidth(), nativeHeight())
                .withGuidance(isConditional() ? model.isXl() ? 5.0 : 7.5 : 1.0)
                .withFrames(nativeFrames());
        if (consistencyModel) {
            return d.withSampler("lcm").withSteps(4).withGuidance(sig.embedsGuidance() ? model.isXl() ? 5.0 : 8.5 : 1.0);
        }
        return turbo ? d.withSampler("euler-a").withSteps(1).withGuidance(0.0) : d;
    }

    /**
     * Whether these settings run the UNet a second time for the unconditional (negative-prompt) half
     * of classifier-free guidance: guidance above 1 on a conditional model that does not take
     * guidance as an embedding. Where it does not, a negative prompt has no effect.
     */
    public boolean unconditionalPass(SamplingParams p) {
        return geometry.unconditionalPass(p);
    }

    /** The scheduler config's {@code _class_name}, or null when it names none. */
    private static String schedulerClass(Path schedulerConfig) {
        try {
            JsonNode root = Json.MAPPER.readTree(Files.readString(schedulerConfig));
            JsonNode name = root == null ? null : root.get("_class_name");
            return name != null && name.isString() ? name.asString() : null;
        } catch (IOException | JacksonException e) {
            throw new IllegalArgumentException("cannot read " + schedulerConfig + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks settings against their own rules and against this model.
     *
     * @return one violation per broken rule; empty when the settings can run
     */
    public List<ParamViolation> violations(SamplingParams p) {
        List<ParamViolation> v = new ArrayList<>(p.violations());
        v.addAll(geometry.violations(p, batchSize)); // the sampler on this model's schedule included
        return v;
    }

    /** Generates every item and returns them in the order given. */
    public List<GeneratedItem> generate(List<GenerationSpec> specs) {
        GeneratedItem[] out = new GeneratedItem[specs.size()];
        generate(specs, (i, item) -> out[i] = item, ProgressListener.NONE);
        return List.of(out);
    }

    /**
     * Generates every item, handing each to {@code sink} when its micro-batch is done. Items with
     * equal {@link SamplingParams} are batched together, in order of first appearance.
     *
     * @throws EngineException before any work when an item's settings are invalid (naming the item
     *                         and the field), or when ONNX Runtime fails
     */
    public void generate(List<GenerationSpec> specs, ItemSink sink, ProgressListener progress) {
        Map<SamplingParams, List<Integer>> groups = new LinkedHashMap<>();
        long totalSteps = 0;
        for (int i = 0; i < specs.size(); i++) {
            GenerationSpec s = specs.get(i);
            List<Integer> group = groups.get(s.params());
            if (group == null) {
                List<ParamViolation> v = violations(s.params());
                if (!v.isEmpty()) {
                    throw new EngineException("item " + i + ": "
                            + v.stream().map(ParamViolation::toString).collect(Collectors.joining("; ")));
                }
                group = new ArrayList<>();
                groups.put(s.params(), group);
            }
            group.add(i);
            totalSteps += s.params().steps();
        }
        long[] done = {0};
        long total = totalSteps;
        for (Map.Entry<SamplingParams, List<Integer>> g : groups.entrySet()) {
            List<Integer> idx = g.getValue();
            for (int from = 0; from < idx.size(); from += batchSize) {
                List<Integer> chunk = idx.subList(from, Math.min(idx.size(), from + batchSize));
                List<GenerationSpec> batch = chunk.stream().map(specs::get).toList();
                List<GeneratedItem> items = runBatch(g.getKey(), batch, steps -> {
                    done[0] += steps;
                    progress.progress(done[0], total);
                });
                for (int k = 0; k < chunk.size(); k++) {
                    sink.accept(chunk.get(k), items.get(k));
                }
            }
        }
    }

    private interface StepCallback {
        void stepsDone(int steps);
    }

    private List<GeneratedItem> runBatch(SamplingParams p, List<GenerationSpec> batch, StepCallback callback) {
        int n = batch.size();
        boolean cfg = unconditionalPass(p);
        Sampler sampler = Samplers.create(p.sampler(), schedulerFor(p), p.steps(), p.eta());
        double[] timesteps = sampler.timesteps();
        int nfe = timesteps.length * (cfg ? 2 : 1);
        ModelCost cost = costs.cost(p, cfg, nfe); // counted (and cached) before any work is timed

        long t0 = System.nanoTime();
        int rows = cfg ? 2 * n : n;
        String[] prompts = new String[rows];
        for (int b = 0; b < n; b++) {
            prompts[b] = batch.get(b).prompt();
            if (cfg) {
                prompts[n + b] = batch.get(b).negativePrompt();
            }
        }
        // tokens[encoder][row]
        TokenizedPrompt[][] tokens = new TokenizedPrompt[textEncoders.size()][rows];
        for (int e = 0; e < textEncoders.size(); e++) {
            for (int r = 0; r < rows; r++) {
                tokens[e][r] = textEncoders.get(e).tokenizer().encode(prompts[r]);
            }
        }
        long t1 = System.nanoTime();
        Conditioning conditioning = isConditional() ? encodeText(tokens, prompts, cfg ? n : rows, p) : null;
        long t2 = System.nanoTime();

        long[] latentShape = latentShape(p);
        int dim = (int) product(latentShape);
        float[][] x = new float[n][];
        for (int b = 0; b < n; b++) {
            x[b] = SeedNoise.gaussian(batch.get(b).seed(), 0, dim);
            float sigma = (float) sampler.initNoiseSigma();
            for (int j = 0; j < dim; j++) {
                x[b][j] *= sigma;
            }
        }
        float[][] prediction = new float[n][];
        for (int i = 0; i < timesteps.length; i++) {
            float scale = (float) sampler.inputScale(i);
            float[] in = new float[rows * dim];
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < dim; j++) {
                    in[b * dim + j] = x[b][j] * scale;
                }
                if (cfg) {
                    System.arraycopy(in, b * dim, in, (n + b) * dim, dim);
                }
            }
            float[][] out = runUnet(in, rows, conditioning, latentShape, timesteps[i]);
            for (int b = 0; b < n; b++) {
                if (cfg) {
                    Guidance.apply(out[b], out[n + b], p.guidance(), p.guidanceRescale());
                }
                prediction[b] = out[b];
            }
            sampler.step(i, x, prediction, (sample, step, length) ->
                    SeedNoise.gaussian(batch.get(sample).seed(), SeedNoise.stepStream(step), length));
            callback.stepsDone(n);
        }
        long t3 = System.nanoTime();
        float[][] pixels = decode(x, latentShape);
        long t4 = System.nanoTime();
        long[] pixelShape = pixelShape(latentShape, pixels[0].length);

        List<GeneratedItem> items = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            ItemCounters c = new ItemCounters(nfe, p.steps(), n, seconds(t1 - t0) / n, seconds(t2 - t1) / n,
                    seconds(t3 - t2) / n, seconds(t4 - t3) / n, 0, device.label(), device.providerName(),
                    device.threads(), cost);
            boolean truncated = false;
            for (TokenizedPrompt[] perEncoder : tokens) {
                truncated |= perEncoder[b].truncated() || (cfg && perEncoder[n + b].truncated());
            }
            items.add(new GeneratedItem(batch.get(b), pixels[b], pixelShape, x[b], latentShape, truncated,
                    isConditional() ? tokens[0][b].tokenCount() : 0, c));
        }
        return items;
    }

    private SchedulerConfig schedulerFor(SamplingParams p) {
        return ModelGeometry.schedulerFor(scheduler, p);
    }

    /**
     * The floor the engine's overhead is measured against: the same sessions run the same calls a
     * micro-batch of {@code batch} items makes with these settings — one text-encoder call, one
     * UNet call per step (both halves of guidance in one call), the VAE — on inputs built once,
     * with no tokenizing, noise, sampler, guidance or result assembly. For benchmarks.
     *
     * @return wall seconds of the calls
     */
    public double bareLoopSeconds(SamplingParams p, int batch) {
        if (sig.fixedBatch() > 0 || textEncoders.stream().anyMatch(e -> e.network().input("input_ids").dim(0) > 0)
                || (vae != null && vae.input(vaeInput).dim(0) > 0)) {
            throw new EngineException("bench: the bare loop needs networks with a dynamic batch dimension");
        }
        boolean cfg = unconditionalPass(p);
        int rows = cfg ? 2 * batch : batch;
        long[] latentShape = latentShape(p);
        float[] sample = SeedNoise.gaussian(1, 0, (int) (rows * product(latentShape)));
        double[] timesteps = Samplers.create(p.sampler(), schedulerFor(p), p.steps(), p.eta()).timesteps();
        long[] frameShape = sig.isVideo() ? new long[] {latentShape[0], latentShape[2], latentShape[3]} : latentShape;
        int frames = sig.isVideo() ? (int) latentShape[1] : 1;
        float[] latents = java.util.Arrays.copyOf(sample, (int) (batch * product(latentShape)));
        TokenizedPrompt[][] tokens = new TokenizedPrompt[textEncoders.size()][rows];
        String[] prompts = new String[rows];
        java.util.Arrays.fill(prompts, "");
        for (int e = 0; e < textEncoders.size(); e++) {
            java.util.Arrays.fill(tokens[e], textEncoders.get(e).tokenizer().encode(""));
        }

        long start = System.nanoTime();
        Conditioning conditioning = isConditional() ? encodeText(tokens, prompts, rows, p) : null;
        for (double t : timesteps) {
            unet.run(unetFeed(sample, rows, 0, rows, rows, conditioning, latentShape, t), sig.output());
        }
        if (vae != null) {
            vae.run(new HashMap<>(Map.of(vaeInput, Tensors.floats(vae.input(vaeInput), latents, prepend((long) batch * frames, frameShape)))), vaeOutput);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** (C, H, W) or (C, F, H, W) of one item's latent. */
    private long[] latentShape(SamplingParams p) {
        long c = sig.latentChannels();
        long h = p.height() / sizeFactor;
        long w = p.width() / sizeFactor;
        return sig.isVideo() ? new long[] {c, p.frames(), h, w} : new long[] {c, h, w};
    }

    /** (C, H, W) or (F, C, H, W) of one item's decoded output. */
    private long[] pixelShape(long[] latentShape, int length) {
        if (!sig.isVideo()) {
            long hw = (long) latentShape[1] * sizeFactor * latentShape[2] * sizeFactor;
            return new long[] {length / hw, latentShape[1] * sizeFactor, latentShape[2] * sizeFactor};
        }
        long f = latentShape[1];
        long hw = (long) latentShape[2] * sizeFactor * latentShape[3] * sizeFactor;
        return new long[] {f, length / f / hw, latentShape[2] * sizeFactor, latentShape[3] * sizeFactor};
    }

    /**
     * What the UNet is conditioned on, per row: the encoders' hidden states joined token by token
     * (rows × tokens × width), SDXL's pooled projection (rows × p) and size ids (rows × 6), and a
     * guidance-distilled model's guidance embedding (rows × d, the same row repeated). Absent parts are
     * null; the UNet's feed slices each part like the samples.
     */
    private record Conditioning(float[] hidden, long tokens, long width, float[] pooled, float[] timeIds,
                                float[] guidanceEmbedding) {
    }

    /**
     * Encodes every row's prompt with every text encoder, as the reference pipelines do: the last
     * hidden states (SD 1.x/2.x) or both encoders' penultimate ones joined (SDXL) with the second's
     * pooled projection. For SDXL with {@code force_zeros_for_empty_prompt}, an empty negative prompt
     * (rows from {@code firstNegative} on) is conditioned on zeros instead.
     */
    private Conditioning encodeText(TokenizedPrompt[][] tokens, String[] prompts, int firstNegative, SamplingParams p) {
        int rows = prompts.length;
        long len = tokens[0][0].ids().length;
        List<TextEncoder.Encoded> encoded = new ArrayList<>();
        long width = 0;
        float[][] pooled = null;
        for (int e = 0; e < textEncoders.size(); e++) {
            TextEncoder.Encoded out = textEncoders.get(e).encode(tokens[e]);
            encoded.add(out);
            width += out.hidden()[0].length / len;
            if (out.pooled() != null) {
                pooled = out.pooled();
            }
        }
        float[] hidden = new float[(int) (rows * len * width)];
        long offset = 0;
        for (TextEncoder.Encoded out : encoded) {
            int w = (int) (out.hidden()[0].length / len);
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < len; k++) {
                    System.arraycopy(out.hidden()[r], k * w, hidden, (int) ((r * len + k) * width + offset), w);
                }
            }
            offset += w;
        }
        float[] pooledFlat = pooled == null ? null : Tensors.stack(pooled);
        if (zeroEmptyNegative) {
            for (int r = firstNegative; r < rows; r++) {
                if (prompts[r].isEmpty()) {
                    java.util.Arrays.fill(hidden, (int) (r * len * width), (int) ((r + 1) * len * width), 0f);
                    if (pooledFlat != null) {
                        int pw = pooledFlat.length / rows;
                        java.util.Arrays.fill(pooledFlat, r * pw, (r + 1) * pw, 0f);
                    }
                }
            }
        }
        // (original size, crop top-left, target size), original = target, no crop
        float[] timeIds = sig.timeIds() == null ? null
                : repeated(new float[] {p.height(), p.width(), 0, 0, p.height(), p.width()}, rows);
        float[] guidanceEmbedding = sig.embedsGuidance()
                ? repeated(guidanceEmbedding(p.guidance(), (int) sig.guidanceEmbedding()), rows) : null;
        return new Conditioning(hidden, len, width, pooledFlat, timeIds, guidanceEmbedding);
    }

    /** {@code row} stacked {@code rows} times. */
    private static float[] repeated(float[] row, int rows) {
        float[] out = new float[rows * row.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(row, 0, out, r * row.length, row.length);
        }
        return out;
    }

    /**
     * The guidance embedding of a guidance-distilled consistency model (deliberately the same
     * computation as diffusers' {@code LatentConsistencyModelPipeline.get_guidance_scale_embedding},
     * in float32 as there):
     * <ol>
     *   <li>w = (guidance − 1) · 1000 (the pipeline subtracts 1: its w is the CFG scale of the paper's
     *       formulation, where w = 0 is no guidance);</li>
     *   <li>e_k = exp(−k · ln(10000) / (d/2 − 1)) for k = 0 .. d/2 − 1;</li>
     *   <li>the embedding is [sin(w · e_k)..., cos(w · e_k)...], padded with one zero when d is odd.</li>
     * </ol>
     */
    static float[] guidanceEmbedding(double guidance, int dim) {
        int half = dim / 2;
        float w = (float) (guidance - 1) * 1000.0f;
        float step = (float) Math.log(10000.0f) / (half - 1);
        float[] out = new float[dim];
        for (int k = 0; k < half; k++) {
            float e = (float) Math.exp((float) k * -step);
            float arg = w * e;
            out[k] = (float) Math.sin(arg);
            out[half + k] = (float) Math.cos(arg);
        }
        return out;
    }

    /**
     * Runs the UNet on {@code rows} samples stacked in {@code input} (rows × latent size) with their
     * conditioning (null for unconditional models).
     */
    private float[][] runUnet(float[] input, int rows, Conditioning c, long[] latentShape, double timestep) {
        return unet.runRows(rows, sig.fixedBatch(), sig.output(),
                (from, count, batch) -> unetFeed(input, rows, from, count, batch, c, latentShape, timestep));
    }

    /** The UNet's feed for rows [from, from + count) padded to {@code batch}. */
    private Map<String, OnnxTensor> unetFeed(float[] input, int rows, int from, int count, int batch, Conditioning c,
                                             long[] latentShape, double timestep) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        feed.put("sample", Tensors.floats(sig.sample(), Tensors.slice(input, rows, from, count, batch), prepend(batch, latentShape)));
        feed.put("timestep", Tensors.filled(sig.timestep(), timestep, batch));
        if (c != null) {
            feed.put("encoder_hidden_states", Tensors.floats(sig.encoderHiddenStates(),
                    Tensors.slice(c.hidden(), rows, from, count, batch), new long[] {batch, c.tokens(), c.width()}));
            if (sig.textEmbeds() != null) {
                feed.put("text_embeds", Tensors.floats(sig.textEmbeds(), Tensors.slice(c.pooled(), rows, from, count, batch),
                        new long[] {batch, c.pooled().length / rows}));
                feed.put("time_ids", Tensors.floats(sig.timeIds(), Tensors.slice(c.timeIds(), rows, from, count, batch),
                        new long[] {batch, UnetSignature.TIME_IDS}));
            }
        }
        if (sig.embedsGuidance()) { // a guidance embedding is only accepted on conditional models: c is there
            feed.put("timestep_cond", Tensors.floats(sig.timestepCond(),
                    Tensors.slice(c.guidanceEmbedding(), rows, from, count, batch), new long[] {batch, sig.guidanceEmbedding()}));
        }
        return feed;
    }

    private float[][] decode(float[][] latents, long[] latentShape) {
        if (vae == null) {
            if (!sig.isVideo()) {
                float[][] copies = new float[latents.length][];
                for (int b = 0; b < latents.length; b++) {
                    copies[b] = latents[b].clone(); // pixels and latent must not share an array
                }
                return copies;
            }
            float[][] out = new float[latents.length][];
            for (int b = 0; b < latents.length; b++) {
                out[b] = framesFirst(latents[b], latentShape);
            }
            return out;
        }
        int frames = sig.isVideo() ? (int) latentShape[1] : 1;
        long[] frameShape = sig.isVideo() ? new long[] {latentShape[0], latentShape[2], latentShape[3]} : latentShape;
        float[][] rows = new float[latents.length * frames][];
        float inv = (float) (1.0 / model.vaeScalingFactor());
        for (int b = 0; b < latents.length; b++) {
            float[] z = sig.isVideo() ? framesFirst(latents[b], latentShape) : latents[b];
            int per = z.length / frames;
            for (int f = 0; f < frames; f++) {
                float[] row = new float[per];
                for (int j = 0; j < per; j++) {
                    row[j] = z[f * per + j] * inv;
                }
                rows[b * frames + f] = row;
            }
        }
        float[] stacked = Tensors.stack(rows);
        float[][] decoded = vae.runRows(rows.length, vae.input(vaeInput).dim(0), vaeOutput, (from, count, batch) -> new HashMap<>(Map.of(vaeInput,
                Tensors.floats(vae.input(vaeInput), Tensors.slice(stacked, rows.length, from, count, batch), prepend(batch, frameShape)))));
        float[][] out = new float[latents.length][];
        for (int b = 0; b < latents.length; b++) {
            int per = decoded[b * frames].length;
            out[b] = new float[per * frames];
            for (int f = 0; f < frames; f++) {
                System.arraycopy(decoded[b * frames + f], 0, out[b], f * per, per);
            }
        }
        return out;
    }

    /** (C, F, H, W) → (F, C, H, W). */
    private static float[] framesFirst(float[] v, long[] shape) {
        int c = (int) shape[0], f = (int) shape[1], hw = (int) (shape[2] * shape[3]);
        float[] out = new float[v.length];
        for (int ci = 0; ci < c; ci++) {
            for (int fi = 0; fi < f; fi++) {
                System.arraycopy(v, (ci * f + fi) * hw, out, (fi * c + ci) * hw, hw);
            }
        }
        return out;
    }



    private static long[] prepend(long first, long[] rest) {
        long[] s = new long[rest.length + 1];
        s[0] = first;
        System.arraycopy(rest, 0, s, 1, rest.length);
        return s;
    }

    static long product(long[] shape) {
        long p = 1;
        for (long d : shape) {
            p *= d;
        }
        return p;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    @Override
    public void close() {
        networks.close();
    }
}
