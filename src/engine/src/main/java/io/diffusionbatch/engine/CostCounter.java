package io.diffusionbatch.engine;

import io.diffusionbatch.engine.graph.GraphStats;
import io.diffusionbatch.engine.model.OnnxNetwork;
import io.diffusionbatch.engine.model.TextEncoder;
import io.diffusionbatch.engine.model.UnetSignature;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parameters and FLOPs of a model's networks, counted from their graphs at the resolution of
 * each request and cached per resolution. Thread-safe.
 */
final class CostCounter {

    private record Key(long height, long width, long frames) {
    }

    private record Sizes(PerSample text, PerSample unet, PerSample vae) {
    }

    private record PerSample(long params, long flops, int unresolved) {
    }

    private final UnetSignature sig;
    private final OnnxNetwork unet;
    private final java.util.List<TextEncoder> textEncoders;
    private final OnnxNetwork vae;
    private final long contextLength;
    private final long hiddenSize;
    private final String vaeInput;
    private final int sizeFactor;
    private final Map<Key, Sizes> cache = new ConcurrentHashMap<>();

    /** Networks may be null where the model has none; none of them is run or closed here. */
    CostCounter(UnetSignature sig, OnnxNetwork unet, java.util.List<TextEncoder> textEncoders, OnnxNetwork vae,
                int contextLength, int sizeFactor) {
        this.sig = sig;
        this.unet = unet;
        this.textEncoders = textEncoders;
        this.vae = vae;
        this.contextLength = contextLength;
        long hidden = sig.encoderHiddenStates() == null ? -1 : sig.encoderHiddenStates().dim(2);
        if (hidden < 0 && !textEncoders.isEmpty()) { // the encoders' widths joined (SDXL has two)
            hidden = 0;
            for (TextEncoder te : textEncoders) {
                hidden = hidden >= 0 && te.hiddenWidth() > 0 ? hidden + te.hiddenWidth() : -1;
            }
        }
        this.hiddenSize = hidden;
        this.vaeInput = vae == null ? null : vae.inputs().keySet().iterator().next();
        this.sizeFactor = sizeFactor;
    }

    /** The cost of one item with these settings, {@code nfe} denoiser evaluations and guidance on or off. */
    ModelCost cost(SamplingParams p, boolean guided, int nfe) {
        long h = p.height() / sizeFactor, w = p.width() / sizeFactor, f = Math.max(1, p.frames());
        Sizes s = cache.computeIfAbsent(new Key(h, w, sig.isVideo() ? f : 0), this::count);
        long te = flops(s.text()), un = flops(s.unet()), va = flops(s.vae());
        long perSample = nfe * un + (guided ? 2 : 1) * te + f * va;
        int unresolved = unresolved(s.text()) < 0 || unresolved(s.unet()) < 0 || unresolved(s.vae()) < 0 ? -1
                : unresolved(s.text()) + unresolved(s.unet()) + unresolved(s.vae());
        return new ModelCost(params(s.text()), params(s.unet()), params(s.vae()), te, un, va * f, perSample, unresolved);
    }

    private Sizes count(Key k) {
        Map<String, long[]> unetShapes = new HashMap<>();
        unetShapes.put("sample", sig.isVideo() ? new long[] {1, sig.latentChannels(), k.frames(), k.height(), k.width()}
                : new long[] {1, sig.latentChannels(), k.height(), k.width()});
        unetShapes.put("timestep", sig.timestep().rank() == 0 ? new long[0] : new long[] {1});
        if (sig.encoderHiddenStates() != null) {
            unetShapes.put("encoder_hidden_states", new long[] {1, contextLength, hiddenSize});
        }
        if (sig.textEmbeds() != null) {
            long pooled = sig.textEmbeds().dim(1) > 0 ? sig.textEmbeds().dim(1)
                    : textEncoders.get(textEncoders.size() - 1).pooledWidth();
            unetShapes.put("text_embeds", new long[] {1, pooled});
            unetShapes.put("time_ids", new long[] {1, UnetSignature.TIME_IDS});
        }
        if (sig.timestepCond() != null) {
            unetShapes.put("timestep_cond", new long[] {1, sig.guidanceEmbedding()});
        }
        PerSample text = null;
        for (TextEncoder te : textEncoders) { // SDXL's two encoders count as one text stage
            PerSample one = stats(te.network(), "input_ids", Map.of("input_ids", new long[] {1, contextLength},
                    "attention_mask", new long[] {1, contextLength}));
            text = text == null ? one : new PerSample(text.params() + one.params(), text.flops() + one.flops(),
                    text.unresolved() < 0 || one.unresolved() < 0 ? -1 : text.unresolved() + one.unresolved());
        }
        PerSample vaeStats = vae == null ? null
                : stats(vae, vaeInput, Map.of(vaeInput, new long[] {1, sig.latentChannels(), k.height(), k.width()}));
        return new Sizes(text, stats(unet, "sample", unetShapes), vaeStats);
    }

    /**
     * Counts a network for one sample. A graph with a fixed batch size (that of {@code batchInput})
     * is counted at that size and its FLOPs divided by it. FLOP counting is diagnostic: a graph it
     * cannot analyse gives 0 parameters and FLOPs with {@code unresolved} = -1 rather than stopping
     * a generation.
     */
    private static PerSample stats(OnnxNetwork net, String batchInput, Map<String, long[]> shapes) {
        long batch = Math.max(1, net.input(batchInput).dim(0));
        Map<String, long[]> known = new HashMap<>();
        shapes.forEach((name, shape) -> {
            if (net.inputs().containsKey(name) && Arrays.stream(shape).allMatch(d -> d >= 0)) {
                long[] s = shape.clone();
                if (s.length > 0 && net.input(name).rank() == s.length && net.input(name).dim(0) > 0) {
                    s[0] = net.input(name).dim(0);
                }
                known.put(name, s);
            }
        });
        try {
            GraphStats g = GraphStats.of(net.file(), known);
            return new PerSample(g.parameters(), g.flopsPerEvaluation() / batch, g.unresolvedNodes().size());
        } catch (IOException | RuntimeException e) {
            return new PerSample(0, 0, -1);
        }
    }

    private static long flops(PerSample s) {
        return s == null ? 0 : s.flops();
    }

    private static long params(PerSample s) {
        return s == null ? 0 : s.params();
    }

    private static int unresolved(PerSample s) {
        return s == null ? 0 : s.unresolved();
    }
}
