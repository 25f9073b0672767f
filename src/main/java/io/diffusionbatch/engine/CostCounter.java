package io.diffusionbatch.engine;

import io.diffusionbatch.engine.graph.GraphStats;
import io.diffusionbatch.engine.model.OnnxNetwork;
import io.diffusionbatch.engine.model.TensorSpec;
import io.diffusionbatch.engine.model.UnetSignature;
import java.io.IOException;
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

    private record Sizes(GraphStats text, GraphStats unet, GraphStats vae) {
    }

    private final UnetSignature sig;
    private final OnnxNetwork unet;
    private final OnnxNetwork textEncoder;
    private final OnnxNetwork vae;
    private final long contextLength;
    private final long hiddenSize;
    private final String vaeInput;
    private final int sizeFactor;
    private final Map<Key, Sizes> cache = new ConcurrentHashMap<>();

    /** Networks may be null where the model has none; none of them is run or closed here. */
    CostCounter(UnetSignature sig, OnnxNetwork unet, OnnxNetwork textEncoder, OnnxNetwork vae, int contextLength,
                int sizeFactor) {
        this.sig = sig;
        this.unet = unet;
        this.textEncoder = textEncoder;
        this.vae = vae;
        this.contextLength = contextLength;
        long hidden = sig.encoderHiddenStates() == null ? -1 : sig.encoderHiddenStates().dim(2);
        if (hidden < 0 && textEncoder != null) {
            TensorSpec out = textEncoder.outputOrFirst("last_hidden_state");
            hidden = out.rank() == 3 ? out.dim(2) : -1;
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
        int unresolved = unresolved(s.text()) + unresolved(s.unet()) + unresolved(s.vae());
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
        GraphStats text = textEncoder == null ? null
                : stats(textEncoder, Map.of("input_ids", new long[] {1, contextLength},
                        "attention_mask", new long[] {1, contextLength}));
        GraphStats vaeStats = vae == null ? null
                : stats(vae, Map.of(vaeInput, new long[] {1, sig.latentChannels(), k.height(), k.width()}));
        return new Sizes(text, stats(unet, unetShapes), vaeStats);
    }

    private static GraphStats stats(OnnxNetwork net, Map<String, long[]> shapes) {
        Map<String, long[]> known = new HashMap<>(shapes);
        known.keySet().retainAll(net.inputs().keySet());
        try {
            return GraphStats.of(net.file(), known);
        } catch (IOException | IllegalArgumentException e) {
            throw new EngineException(net.role() + ": cannot count the FLOPs of " + net.file() + ": " + e.getMessage(), e);
        }
    }

    private static long flops(GraphStats s) {
        return s == null ? 0 : s.flopsPerEvaluation();
    }

    private static long params(GraphStats s) {
        return s == null ? 0 : s.parameters();
    }

    private static int unresolved(GraphStats s) {
        return s == null ? 0 : s.unresolvedNodes().size();
    }
}
