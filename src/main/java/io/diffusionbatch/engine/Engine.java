package io.diffusionbatch.engine;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.diffusionbatch.engine.model.ExecutionDevice;
import io.diffusionbatch.engine.model.ModelFolder;
import io.diffusionbatch.engine.model.OnnxNetwork;
import io.diffusionbatch.engine.model.TensorSpec;
import io.diffusionbatch.engine.model.UnetSignature;
import io.diffusionbatch.engine.noise.SeedNoise;
import io.diffusionbatch.engine.sampler.Sampler;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import io.diffusionbatch.engine.tokenizer.TokenizedPrompt;
import io.diffusionbatch.engine.tokenizer.Tokenizer;
import io.diffusionbatch.engine.tokenizer.Tokenizers;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one model folder: tokenize, encode the prompts, denoise from seed noise with a sampler and
 * classifier-free guidance, decode, and count what it cost.
 *
 * <p>Items that share {@link SamplingParams} go through the networks together in micro-batches of
 * {@link EngineOptions#batchSize()}; an item's result does not depend on its batch companions,
 * because its noise is a function of its seed alone and samplers update each sample on its own.
 *
 * <p>Thread-safe: ONNX Runtime sessions may be run concurrently and every call keeps its own
 * state. Close it to release the sessions.
 */
public final class Engine implements AutoCloseable {

    /** The engine's version, recorded in every output's provenance. */
    public static final String VERSION = "0.1.0";

    private static final int DEFAULT_CONTEXT = 77;

    private final ModelFolder model;
    private final ExecutionDevice device;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final SchedulerConfig scheduler;
    private final OnnxNetwork unet;
    private final UnetSignature sig;
    private final OnnxNetwork textEncoder;
    private final Tokenizer tokenizer;
    private final String textOutput;
    private final OnnxNetwork vae;
    private final String vaeInput;
    private final String vaeOutput;
    private final int sizeFactor;
    private final CostCounter costs;
    private final int batchSize;
    private ModelIdentity identity;

    private Engine(ModelFolder model, EngineOptions options) {
        this.model = model;
        this.device = new ExecutionDevice(options.device(), options.deviceId(), options.threads());
        this.batchSize = options.batchSize();
        try {
            this.scheduler = SchedulerConfig.fromFile(model.schedulerConfig());
        } catch (IllegalArgumentException e) {
            throw new EngineException("model: " + model.schedulerConfig() + ": " + e.getMessage(), e);
        }
        List<OnnxNetwork> opened = new ArrayList<>();
        try (OrtSession.SessionOptions so = device.sessionOptions()) {
            unet = add(opened, OnnxNetwork.open(env, "unet", model.unet(), so));
            sig = UnetSignature.of(unet, model.isConditional());
            if (model.isConditional()) {
                textEncoder = add(opened, OnnxNetwork.open(env, "text_encoder", model.textEncoder(), so));
                TensorSpec ids = checkTextEncoder(textEncoder);
                tokenizer = Tokenizers.load(model.tokenizer(), ids.dim(1) > 0 ? (int) ids.dim(1) : DEFAULT_CONTEXT);
                if (ids.dim(1) > 0 && ids.dim(1) != tokenizer.maxLength()) {
                    throw new EngineException("tokenizer: model_max_length " + tokenizer.maxLength()
                            + " differs from the text encoder's fixed sequence length " + ids.dim(1));
                }
                textOutput = textEncoder.outputOrFirst("last_hidden_state").name();
            } else {
                textEncoder = null;
                tokenizer = null;
                textOutput = null;
            }
            if (model.isLatent()) {
                vae = add(opened, OnnxNetwork.open(env, "vae_decoder", model.vaeDecoder(), so));
                TensorSpec in = vae.inputs().containsKey("latent_sample") ? vae.input("latent_sample")
                        : vae.inputs().values().iterator().next();
                if (vae.inputs().size() != 1 || !in.isFloat() || in.rank() != 4) {
                    throw new EngineException("vae_decoder: expected one float32 input 'latent_sample' (batch, channels,"
                            + " height, width), found " + vae.inputs().values());
                }
                if (in.dim(1) > 0 && in.dim(1) != sig.latentChannels()) {
                    throw new EngineException("vae_decoder: takes " + in.dim(1) + " latent channels but the UNet makes "
                            + sig.latentChannels());
                }
                vaeInput = in.name();
                vaeOutput = vae.outputOrFirst("sample").name();
                sizeFactor = probeVaeFactor();
            } else {
                vae = null;
                vaeInput = null;
                vaeOutput = null;
                sizeFactor = 1;
            }
        } catch (RuntimeException e) {
            opened.forEach(OnnxNetwork::close);
            throw e;
        }
        this.costs = new CostCounter(sig, unet, textEncoder, vae, tokenizer == null ? 0 : tokenizer.maxLength(), sizeFactor);
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

    /** Pixels per latent cell along each side: the VAE's upsampling factor, 1 for pixel models. */
    public int sizeFactor() {
        return sizeFactor;
    }

    /** The output size the UNet is made for: its fixed spatial dimensions, else 64 latent cells. */
    public int nativeWidth() {
        long w = sig.sample().dim(sig.sample().rank() - 1);
        return (int) ((w > 0 ? w : 64) * sizeFactor);
    }

    public int nativeHeight() {
        long h = sig.sample().dim(sig.sample().rank() - 2);
        return (int) ((h > 0 ? h : 64) * sizeFactor);
    }

    /** Frames of a video model's fixed frame dimension, else 8; 0 for image models. */
    public int nativeFrames() {
        if (!sig.isVideo()) {
            return 0;
        }
        long f = sig.sample().dim(2);
        return f > 0 ? (int) f : 8;
    }

    /** This model's default settings: DPM-Solver++ 2M at 20 steps, guidance 7.5 (1 when unconditional). */
    public SamplingParams defaultParams() {
        return SamplingParams.defaults(nativeWidth(), nativeHeight())
                .withGuidance(isConditional() ? 7.5 : 1.0)
                .withFrames(nativeFrames());
    }

    /**
     * Checks settings against their own rules and against this model.
     *
     * @return one message per violation, each naming the field; empty when the settings can run
     */
    public List<String> violations(SamplingParams p) {
        List<String> v = new ArrayList<>(p.violations());
        TensorSpec s = sig.sample();
        checkSide(v, "width", p.width(), s.dim(s.rank() - 1));
        checkSide(v, "height", p.height(), s.dim(s.rank() - 2));
        if (!sig.isVideo() && p.frames() != 0) {
            v.add("frames: model " + model.name() + " is an image model; frames must be 0, was " + p.frames());
        }
        if (sig.isVideo() && p.frames() < 1) {
            v.add("frames: model " + model.name() + " is a video model; frames must be >= 1, was " + p.frames());
        }
        if (sig.isVideo() && s.dim(2) > 0 && p.frames() != s.dim(2) && p.frames() >= 1) {
            v.add("frames: model " + model.name() + " makes exactly " + s.dim(2) + " frames (fixed in its graph), was "
                    + p.frames());
        }
        if (!isConditional() && p.guidance() > 1) {
            v.add("guidance: model " + model.name() + " is unconditional (no text encoder); guidance must be <= 1, was "
                    + p.guidance());
        }
        if (v.isEmpty()) {
            try {
                Samplers.create(p.sampler(), schedulerFor(p), p.steps(), p.eta());
            } catch (IllegalArgumentException e) {
                v.add(e.getMessage());
            }
        }
        return v;
    }

    private void checkSide(List<String> v, String field, int pixels, long fixedCells) {
        if (pixels % sizeFactor != 0) {
            v.add(field + ": must be a multiple of " + sizeFactor + " for model " + model.name()
                    + " (its VAE's scale factor), was " + pixels);
        } else if (fixedCells > 0 && pixels != fixedCells * sizeFactor) {
            v.add(field + ": model " + model.name() + " only makes " + fixedCells * sizeFactor
                    + " (fixed in its graph), was " + pixels);
        }
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
                List<String> v = violations(s.params());
                if (!v.isEmpty()) {
                    throw new EngineException("item " + i + ": " + String.join("; ", v));
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
        boolean cfg = p.usesGuidance() && isConditional();
        Sampler sampler = Samplers.create(p.sampler(), schedulerFor(p), p.steps(), p.eta());

        long t0 = System.nanoTime();
        TokenizedPrompt[] tokens = new TokenizedPrompt[cfg ? 2 * n : n];
        if (isConditional()) {
            for (int b = 0; b < n; b++) {
                tokens[b] = tokenizer.encode(batch.get(b).prompt());
                if (cfg) {
                    tokens[n + b] = tokenizer.encode(batch.get(b).negativePrompt());
                }
            }
        }
        long t1 = System.nanoTime();
        float[] embeddings = isConditional() ? stack(encodeText(tokens), 0, tokens.length, tokens.length) : null;
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
        double[] timesteps = sampler.timesteps();
        int rows = cfg ? 2 * n : n;
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
            float[][] out = runUnet(in, rows, embeddings, latentShape, timesteps[i]);
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

        int nfe = timesteps.length * (cfg ? 2 : 1);
        ModelCost cost = costs.cost(p, cfg, nfe);
        List<GeneratedItem> items = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            ItemCounters c = new ItemCounters(nfe, p.steps(), n, seconds(t1 - t0) / n, seconds(t2 - t1) / n,
                    seconds(t3 - t2) / n, seconds(t4 - t3) / n, 0, device.label(), device.providerName(),
                    device.threads(), cost);
            boolean truncated = isConditional() && (tokens[b].truncated() || (cfg && tokens[n + b].truncated()));
            items.add(new GeneratedItem(batch.get(b), pixels[b], pixelShape, x[b], latentShape, truncated,
                    isConditional() ? tokens[b].tokenCount() : 0, c));
        }
        return items;
    }

    private SchedulerConfig schedulerFor(SamplingParams p) {
        SchedulerConfig c = scheduler;
        if (p.timestepSpacing() != null) {
            c = c.withTimestepSpacing(TimestepSpacing.fromConfig(p.timestepSpacing()));
        }
        if (p.predictionType() != null) {
            c = c.withPredictionType(PredictionType.fromConfig(p.predictionType()));
        }
        return c;
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
        if (sig.fixedBatch() > 0) {
            throw new EngineException("unet: the bare loop needs a dynamic batch dimension, " + sig.sample());
        }
        boolean cfg = p.usesGuidance() && isConditional();
        int rows = cfg ? 2 * batch : batch;
        long[] latentShape = latentShape(p);
        float[] sample = SeedNoise.gaussian(1, 0, (int) (rows * product(latentShape)));
        long[] sampleShape = prepend(rows, latentShape);
        long len = isConditional() ? tokenizer.maxLength() : 0;
        long[] ids = new long[(int) (rows * len)];
        double[] timesteps = Samplers.create(p.sampler(), schedulerFor(p), p.steps(), p.eta()).timesteps();
        long[] frameShape = sig.isVideo() ? new long[] {latentShape[0], latentShape[2], latentShape[3]} : latentShape;
        int frames = sig.isVideo() ? (int) latentShape[1] : 1;
        float[] latents = java.util.Arrays.copyOf(sample, (int) (batch * product(latentShape)));

        long start = System.nanoTime();
        float[] embeddings = null;
        long[] embeddingShape = null;
        if (isConditional()) {
            OnnxNetwork.Output e = textEncoder.run(new HashMap<>(Map.of("input_ids",
                    longs(textEncoder.input("input_ids").type(), ids, new long[] {rows, len}))), textOutput);
            embeddings = e.data();
            embeddingShape = e.shape();
        }
        for (double t : timesteps) {
            Map<String, OnnxTensor> feed = new HashMap<>();
            feed.put("sample", floats(sample, sampleShape));
            feed.put("timestep", timestepTensor(t, rows));
            if (embeddings != null) {
                feed.put("encoder_hidden_states", floats(embeddings, embeddingShape));
            }
            unet.run(feed, sig.output());
        }
        if (vae != null) {
            vae.run(new HashMap<>(Map.of(vaeInput, floats(latents, prepend((long) batch * frames, frameShape)))), vaeOutput);
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

    private float[][] encodeText(TokenizedPrompt[] tokens) {
        TensorSpec ids = textEncoder.input("input_ids");
        int len = tokenizer.maxLength();
        return inChunks(tokens.length, ids.dim(0), (from, count, rows) -> {
            Map<String, OnnxTensor> feed = new HashMap<>();
            long[] shape = {rows, len};
            long[] flat = new long[rows * len];
            long[] mask = new long[rows * len];
            for (int r = 0; r < rows; r++) {
                TokenizedPrompt t = tokens[from + Math.min(r, count - 1)];
                System.arraycopy(t.ids(), 0, flat, r * len, len);
                for (int k = 0; k < Math.min(t.tokenCount(), len); k++) {
                    mask[r * len + k] = 1;
                }
            }
            feed.put("input_ids", longs(ids.type(), flat, shape));
            if (textEncoder.inputs().containsKey("attention_mask")) {
                feed.put("attention_mask", longs(textEncoder.input("attention_mask").type(), mask, shape));
            }
            return textEncoder.run(feed, textOutput);
        });
    }

    /**
     * Runs the UNet on {@code rows} samples stacked in {@code input} (rows × latent size) with their
     * text embeddings stacked in {@code embeddings} (rows × tokens × hidden, or null).
     */
    private float[][] runUnet(float[] input, int rows, float[] embeddings, long[] latentShape, double timestep) {
        return inChunks(rows, sig.fixedBatch(), (from, count, batch) -> {
            Map<String, OnnxTensor> feed = new HashMap<>();
            feed.put("sample", floats(slice(input, rows, from, count, batch), prepend(batch, latentShape)));
            feed.put("timestep", timestepTensor(timestep, batch));
            if (embeddings != null) {
                long len = tokenizer.maxLength();
                feed.put("encoder_hidden_states", floats(slice(embeddings, rows, from, count, batch),
                        new long[] {batch, len, embeddings.length / rows / len}));
            }
            return unet.run(feed, sig.output());
        });
    }

    /**
     * Rows [from, from + count) of {@code rows} equal-length rows stacked in {@code flat}, padded to
     * {@code batch} rows by repeating the last; {@code flat} itself when that is all of it.
     */
    private static float[] slice(float[] flat, int rows, int from, int count, int batch) {
        if (from == 0 && count == rows && batch == rows) {
            return flat;
        }
        int per = flat.length / rows;
        float[] out = new float[batch * per];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(flat, (from + Math.min(r, count - 1)) * per, out, r * per, per);
        }
        return out;
    }

    private float[][] decode(float[][] latents, long[] latentShape) {
        if (vae == null) {
            if (!sig.isVideo()) {
                return latents;
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
        TensorSpec in = vae.input(vaeInput);
        float[][] decoded = inChunks(rows.length, in.dim(0), (from, count, batch) ->
                vae.run(new HashMap<>(Map.of(vaeInput, floats(stack(rows, from, count, batch), prepend(batch, frameShape)))),
                        vaeOutput));
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

    private interface ChunkCall {
        /** Runs rows [from, from + count) padded to {@code batch} rows. */
        OnnxNetwork.Output run(int from, int count, int batch);
    }

    /**
     * Runs {@code total} rows through a network in calls of its fixed batch size (padding the last
     * call by repeating its last row), or in one call when the batch dimension is dynamic.
     */
    private static float[][] inChunks(int total, long fixedBatch, ChunkCall call) {
        int size = fixedBatch > 0 ? (int) fixedBatch : total;
        float[][] rows = new float[total][];
        for (int from = 0; from < total; from += size) {
            int count = Math.min(size, total - from);
            OnnxNetwork.Output out = call.run(from, count, size);
            int per = out.data().length / size;
            for (int r = 0; r < count; r++) {
                float[] row = new float[per];
                System.arraycopy(out.data(), r * per, row, 0, per);
                rows[from + r] = row;
            }
        }
        return rows;
    }

    private static float[] stack(float[][] rows, int from, int count, int batch) {
        int per = rows[from].length;
        float[] flat = new float[batch * per];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(rows[from + Math.min(r, count - 1)], 0, flat, r * per, per);
        }
        return flat;
    }

    private OnnxTensor timestepTensor(double t, int batch) {
        TensorSpec spec = sig.timestep();
        long[] shape = spec.rank() == 0 ? new long[0] : new long[] {spec.dim(0) > 0 ? spec.dim(0) : batch};
        int n = shape.length == 0 ? 1 : (int) shape[0];
        try {
            return switch (spec.type()) {
                case INT64 -> {
                    long[] v = new long[n];
                    java.util.Arrays.fill(v, Math.round(t));
                    yield OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape);
                }
                case INT32 -> {
                    int[] v = new int[n];
                    java.util.Arrays.fill(v, (int) Math.round(t));
                    yield OnnxTensor.createTensor(env, IntBuffer.wrap(v), shape);
                }
                case DOUBLE -> {
                    double[] v = new double[n];
                    java.util.Arrays.fill(v, t);
                    yield OnnxTensor.createTensor(env, java.nio.DoubleBuffer.wrap(v), shape);
                }
                default -> {
                    float[] v = new float[n];
                    java.util.Arrays.fill(v, (float) t);
                    yield OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
                }
            };
        } catch (OrtException e) {
            throw new EngineException("unet: cannot create timestep tensor: " + e.getMessage(), e);
        }
    }

    private OnnxTensor floats(float[] data, long[] shape) {
        try {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new EngineException("cannot create tensor: " + e.getMessage(), e);
        }
    }

    private OnnxTensor longs(OnnxJavaType type, long[] data, long[] shape) {
        try {
            if (type == OnnxJavaType.INT32) {
                int[] v = new int[data.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (int) data[i];
                }
                return OnnxTensor.createTensor(env, IntBuffer.wrap(v), shape);
            }
            return OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new EngineException("cannot create tensor: " + e.getMessage(), e);
        }
    }

    private int probeVaeFactor() {
        TensorSpec in = vae.input(vaeInput);
        long b = in.dim(0) > 0 ? in.dim(0) : 1;
        long h = in.dim(2) > 0 ? in.dim(2) : 8;
        long w = in.dim(3) > 0 ? in.dim(3) : 8;
        long[] shape = {b, sig.latentChannels(), h, w};
        OnnxNetwork.Output out = vae.run(new HashMap<>(Map.of(vaeInput, floats(new float[(int) product(shape)], shape))),
                vaeOutput);
        long outH = out.shape()[out.shape().length - 2];
        if (out.shape().length != 4 || outH % h != 0 || out.shape()[3] != outH / h * w) {
            throw new EngineException("vae_decoder: output shape " + java.util.Arrays.toString(out.shape())
                    + " is not an integer upscaling of its input " + java.util.Arrays.toString(shape));
        }
        return (int) (outH / h);
    }

    private static TensorSpec checkTextEncoder(OnnxNetwork te) {
        TensorSpec ids = te.input("input_ids");
        for (String name : te.inputs().keySet()) {
            if (!name.equals("input_ids") && !name.equals("attention_mask")) {
                throw new EngineException("text_encoder: unexpected input '" + name + "'; expected input_ids"
                        + " [and attention_mask], found " + te.inputs().values());
            }
        }
        if ((ids.type() != OnnxJavaType.INT64 && ids.type() != OnnxJavaType.INT32) || ids.rank() != 2) {
            throw new EngineException("text_encoder: input 'input_ids' must be int64 or int32 (batch, tokens), was " + ids);
        }
        if (!te.outputOrFirst("last_hidden_state").isFloat()) {
            throw new EngineException("text_encoder: output must be float32 (batch, tokens, hidden), was "
                    + te.outputOrFirst("last_hidden_state"));
        }
        return ids;
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

    private static <T> T add(List<? super T> list, T item) {
        list.add(item);
        return item;
    }

    @Override
    public void close() {
        unet.close();
        if (textEncoder != null) {
            textEncoder.close();
        }
        if (vae != null) {
            vae.close();
        }
    }
}
