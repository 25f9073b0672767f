package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.diffusionbatch.engine.tokenizer.Tokenizer;
import io.diffusionbatch.engine.tokenizer.Tokenizers;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The networks of a model folder in ONNX Runtime sessions, checked against each other: the UNet's
 * signature, the text encoder's inputs and the tokenizer's length, the VAE's channels and its
 * upscaling factor (found by decoding a small zero latent once).
 *
 * @param unet          the denoiser
 * @param unetSignature its checked inputs
 * @param textEncoder   the text encoder, or null for unconditional models
 * @param tokenizer     the tokenizer, or null for unconditional models
 * @param textOutput    the text encoder's output used as conditioning, or null
 * @param vaeDecoder    the VAE decoder, or null for pixel-space models
 * @param vaeInput      its input name, or null
 * @param vaeOutput     its output name, or null
 * @param sizeFactor    pixels per latent cell along each side (1 for pixel models)
 */
public record ModelNetworks(OnnxNetwork unet, UnetSignature unetSignature, OnnxNetwork textEncoder, Tokenizer tokenizer,
                            String textOutput, OnnxNetwork vaeDecoder, String vaeInput, String vaeOutput, int sizeFactor)
        implements AutoCloseable {

    /** CLIP's context length, used when neither the graph nor the tokenizer fixes one. */
    private static final int DEFAULT_CONTEXT = 77;

    /**
     * Opens every network of the folder on the device.
     *
     * @throws EngineException naming the network and what is wrong with it
     */
    public static ModelNetworks open(ModelFolder model, ExecutionDevice device) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<OnnxNetwork> opened = new ArrayList<>();
        try (OrtSession.SessionOptions so = device.sessionOptions()) {
            OnnxNetwork unet = OnnxNetwork.open(env, "unet", model.unet(), so);
            opened.add(unet);
            OnnxNetwork vae = null;
            TensorSpec vaeIn = null;
            if (model.isLatent()) {
                vae = OnnxNetwork.open(env, "vae_decoder", model.vaeDecoder(), so);
                opened.add(vae);
                vaeIn = vae.inputs().containsKey("latent_sample") ? vae.input("latent_sample")
                        : vae.inputs().values().iterator().next();
                if (vae.inputs().size() != 1 || !vaeIn.isFloat() || vaeIn.rank() != 4) {
                    throw new EngineException("vae_decoder: expected one float32/float16 input 'latent_sample' (batch,"
                            + " channels, height, width), found " + vae.inputs().values());
                }
                TensorSpec vaeOut = vae.outputOrFirst("sample");
                if (!vaeOut.isFloat() || vaeOut.rank() != 4) {
                    throw new EngineException("vae_decoder: output '" + vaeOut.name() + "' must be float32 or float16"
                            + " (batch, channels, height, width), was " + vaeOut);
                }
            }
            UnetSignature sig = UnetSignature.of(unet, model.isConditional(), channelsHint(model, vaeIn));
            if (vaeIn != null && vaeIn.dim(1) > 0 && vaeIn.dim(1) != sig.latentChannels()) {
                throw new EngineException("vae_decoder: takes " + vaeIn.dim(1) + " latent channels but the UNet makes "
                        + sig.latentChannels());
            }
            OnnxNetwork text = null;
            Tokenizer tokenizer = null;
            String textOutput = null;
            if (model.isConditional()) {
                text = OnnxNetwork.open(env, "text_encoder", model.textEncoder(), so);
                opened.add(text);
                TensorSpec ids = checkTextEncoder(text, sig);
                try {
                    tokenizer = Tokenizers.load(model.tokenizer(), ids.dim(1) > 0 ? (int) ids.dim(1) : DEFAULT_CONTEXT);
                } catch (IllegalArgumentException | UncheckedIOException e) {
                    throw new EngineException("tokenizer: " + e.getMessage(), e);
                }
                long fixedTokens = ids.dim(1) > 0 ? ids.dim(1) : sig.encoderHiddenStates().dim(1);
                if (fixedTokens > 0 && fixedTokens != tokenizer.maxLength()) {
                    throw new EngineException("tokenizer: model_max_length " + tokenizer.maxLength()
                            + " differs from the fixed sequence length " + fixedTokens + " of the text encoder / UNet");
                }
                textOutput = text.outputOrFirst("last_hidden_state").name();
            }
            String vaeInput = vaeIn == null ? null : vaeIn.name();
            String vaeOutput = vae == null ? null : vae.outputOrFirst("sample").name();
            int factor = vae == null ? 1 : probeFactor(vae, vaeIn, vaeOutput, sig.latentChannels());
            return new ModelNetworks(unet, sig, text, tokenizer, textOutput, vae, vaeInput, vaeOutput, factor);
        } catch (RuntimeException e) {
            opened.forEach(OnnxNetwork::close);
            throw e;
        }
    }

    /**
     * Latent channels from the configs or the VAE, for UNets whose graph leaves them dynamic:
     * unet/config.json {@code in_channels}, vae_decoder/config.json {@code latent_channels}, or the
     * VAE input's fixed channel dimension; -1 when none gives them.
     */
    private static long channelsHint(ModelFolder model, TensorSpec vaeIn) {
        long fromUnet = ModelFolder.configInt(model.unet().resolveSibling("config.json"), "in_channels");
        if (fromUnet > 0) {
            return fromUnet;
        }
        if (model.vaeDecoder() != null) {
            long fromVae = ModelFolder.configInt(model.vaeDecoder().resolveSibling("config.json"), "latent_channels");
            if (fromVae > 0) {
                return fromVae;
            }
        }
        return vaeIn != null ? vaeIn.dim(1) : -1;
    }

    private static TensorSpec checkTextEncoder(OnnxNetwork te, UnetSignature sig) {
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
        TensorSpec out = te.outputOrFirst("last_hidden_state");
        if (!out.isFloat() || out.rank() != 3) {
            throw new EngineException("text_encoder: output must be float32 or float16 (batch, tokens, hidden), was " + out);
        }
        long unetHidden = sig.encoderHiddenStates().dim(2);
        if (out.dim(2) > 0 && unetHidden > 0 && out.dim(2) != unetHidden) {
            throw new EngineException("text_encoder: makes hidden states of width " + out.dim(2)
                    + " but the UNet's encoder_hidden_states take " + unetHidden);
        }
        return ids;
    }

    /** Decodes a zero latent of 8×8 cells (or the graph's fixed size) and reads the upscaling factor. */
    private static int probeFactor(OnnxNetwork vae, TensorSpec in, String output, long channels) {
        long b = in.dim(0) > 0 ? in.dim(0) : 1;
        long h = in.dim(2) > 0 ? in.dim(2) : 8;
        long w = in.dim(3) > 0 ? in.dim(3) : 8;
        long[] shape = {b, channels, h, w};
        Map<String, OnnxTensor> feed = new HashMap<>();
        feed.put(in.name(), Tensors.floats(in, new float[(int) (b * channels * h * w)], shape));
        long[] out = vae.run(feed, output).shape();
        if (out.length != 4 || out[2] % h != 0 || out[3] != out[2] / h * w) {
            throw new EngineException("vae_decoder: output shape " + Arrays.toString(out)
                    + " is not an integer upscaling of its input " + Arrays.toString(shape));
        }
        return (int) (out[2] / h);
    }

    @Override
    public void close() {
        unet.close();
        if (textEncoder != null) {
            textEncoder.close();
        }
        if (vaeDecoder != null) {
            vaeDecoder.close();
        }
    }
}
