package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.diffusionbatch.engine.tokenizer.TokenizedPrompt;
import io.diffusionbatch.engine.tokenizer.Tokenizer;
import io.diffusionbatch.engine.tokenizer.Tokenizers;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One text encoder and its tokenizer, owning the encoder's feed ({@code input_ids} int64 or int32,
 * an optional {@code attention_mask}) and the outputs the UNet is conditioned on:
 * <ul>
 *   <li>the hidden states: {@code last_hidden_state} (Stable Diffusion 1.x/2.x), or for Stable
 *       Diffusion XL the penultimate layer's, {@code hidden_states.(N−1)} of an export whose outputs
 *       are {@code hidden_states.0} (the embeddings) to {@code hidden_states.N} (diffusers'
 *       {@code hidden_states[-2]});</li>
 *   <li>optionally the pooled projection {@code text_embeds} of a {@code CLIPTextModelWithProjection}
 *       (SDXL's second encoder).</li>
 * </ul>
 * Thread-safe: every call keeps its own state. Closing closes the session; use after close fails in
 * ONNX Runtime.
 */
public final class TextEncoder implements AutoCloseable {

    /** CLIP's context length, used when neither the graph nor the tokenizer fixes one. */
    private static final int DEFAULT_CONTEXT = 77;

    /**
     * One encoder call's result.
     *
     * @param hidden per row, tokens × width hidden states
     * @param pooled per row, the pooled projection; null when this encoder gives none
     */
    public record Encoded(float[][] hidden, float[][] pooled) {
    }

    private final OnnxNetwork network;
    private final Tokenizer tokenizer;
    private final TensorSpec ids;
    private final String hiddenOutput;
    private final String pooledOutput;
    private final long hiddenWidth;

    private TextEncoder(OnnxNetwork network, Tokenizer tokenizer, TensorSpec ids, String hiddenOutput,
                        String pooledOutput, long hiddenWidth) {
        this.network = network;
        this.tokenizer = tokenizer;
        this.ids = ids;
        this.hiddenOutput = hiddenOutput;
        this.pooledOutput = pooledOutput;
        this.hiddenWidth = hiddenWidth;
    }

    /**
     * Opens and checks an encoder with its tokenizer.
     *
     * @param role        "text_encoder" or "text_encoder_2", used in messages
     * @param penultimate take the penultimate layer's hidden states (SDXL) instead of the last
     * @param pooled      also return the pooled projection {@code text_embeds}
     * @param fixedTokens the sequence length the UNet fixes, or -1
     * @throws EngineException naming the network or tokenizer and what is wrong
     */
    public static TextEncoder open(OrtEnvironment env, String role, Path file, Path tokenizerDir,
                                   OrtSession.SessionOptions options, boolean penultimate, boolean pooled,
                                   long fixedTokens) {
        OnnxNetwork net = OnnxNetwork.open(env, role, file, options);
        try {
            TensorSpec ids = net.input("input_ids");
            for (String name : net.inputs().keySet()) {
                if (!name.equals("input_ids") && !name.equals("attention_mask")) {
                    throw new EngineException(role + ": unexpected input '" + name + "'; expected input_ids"
                            + " [and attention_mask], found " + net.inputs().values());
                }
            }
            if ((ids.type() != OnnxJavaType.INT64 && ids.type() != OnnxJavaType.INT32) || ids.rank() != 2) {
                throw new EngineException(role + ": input 'input_ids' must be int64 or int32 (batch, tokens), was " + ids);
            }
            String hidden = penultimate ? penultimateOutput(net) : net.outputOrFirst("last_hidden_state").name();
            TensorSpec out = net.outputs().get(hidden);
            if (!out.isFloat() || out.rank() != 3) {
                throw new EngineException(role + ": output '" + hidden + "' must be float32 or float16 (batch, tokens,"
                        + " hidden), was " + out);
            }
            String pooledName = null;
            if (pooled) {
                TensorSpec p = net.outputs().get("text_embeds");
                if (p == null || !p.isFloat() || p.rank() != 2) {
                    throw new EngineException(role + ": Stable Diffusion XL takes the pooled projection 'text_embeds'"
                            + " (batch, projection) of its second encoder (a CLIPTextModelWithProjection); the outputs of "
                            + file + " are " + net.outputs().values());
                }
                pooledName = p.name();
            }
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizers.load(tokenizerDir, ids.dim(1) > 0 ? (int) ids.dim(1)
                        : fixedTokens > 0 ? (int) fixedTokens : DEFAULT_CONTEXT);
            } catch (IllegalArgumentException | UncheckedIOException e) {
                throw new EngineException(tokenizerDir.getFileName() + ": " + e.getMessage(), e);
            }
            long fixed = ids.dim(1) > 0 ? ids.dim(1) : fixedTokens;
            if (fixed > 0 && fixed != tokenizer.maxLength()) {
                throw new EngineException(tokenizerDir.getFileName() + ": model_max_length " + tokenizer.maxLength()
                        + " differs from the fixed sequence length " + fixed + " of " + role + " / the UNet");
            }
            return new TextEncoder(net, tokenizer, ids, hidden, pooledName, out.dim(2));
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** {@code hidden_states.(N−1)} where {@code hidden_states.N} is the highest the graph has. */
    private static String penultimateOutput(OnnxNetwork net) {
        int last = -1;
        for (String name : net.outputs().keySet()) {
            if (name.matches("hidden_states\\.\\d{1,4}")) {
                last = Math.max(last, Integer.parseInt(name.substring("hidden_states.".length())));
            }
        }
        if (last < 1 || !net.outputs().containsKey("hidden_states." + (last - 1))) {
            throw new EngineException(net.role() + ": Stable Diffusion XL conditions on the penultimate layer's hidden"
                    + " states; " + net.file() + " has no outputs hidden_states.0 .. hidden_states.N (export it with"
                    + " output_hidden_states, as optimum does); its outputs are " + net.outputs().values());
        }
        return "hidden_states." + (last - 1);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public OnnxNetwork network() {
        return network;
    }

    /** Width of the hidden states, or -1 when the graph leaves it dynamic. */
    public long hiddenWidth() {
        return hiddenWidth;
    }

    /** Width of the pooled projection, or -1 when dynamic or absent. */
    public long pooledWidth() {
        return pooledOutput == null ? -1 : network.outputs().get(pooledOutput).dim(1);
    }

    /**
     * Encodes tokenized prompts (each exactly {@link Tokenizer#maxLength()} ids), in calls of the
     * graph's fixed batch when it has one.
     */
    public Encoded encode(TokenizedPrompt[] tokens) {
        int len = tokenizer.maxLength();
        List<String> outputs = new ArrayList<>(List.of(hiddenOutput));
        if (pooledOutput != null) {
            outputs.add(pooledOutput);
        }
        List<float[][]> out = network.runRows(tokens.length, ids.dim(0), outputs, (from, count, rows) -> {
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
            feed.put("input_ids", Tensors.integers(ids.type(), flat, shape));
            if (network.inputs().containsKey("attention_mask")) {
                feed.put("attention_mask", Tensors.integers(network.input("attention_mask").type(), mask, shape));
            }
            return feed;
        });
        float[][] hidden = out.get(0);
        for (float[] row : hidden) {
            if (row.length % len != 0) {
                throw new EngineException(network.role() + ": output '" + hiddenOutput + "' has " + row.length
                        + " values a row, not a multiple of the " + len + " tokens");
            }
        }
        return new Encoded(hidden, pooledOutput == null ? null : out.get(1));
    }

    @Override
    public void close() {
        network.close();
    }
}
