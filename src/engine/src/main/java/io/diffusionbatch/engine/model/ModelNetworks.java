package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The networks of a model folder in ONNX Runtime sessions, checked against each other: the UNet's
 * signature, the text encoders' outputs and tokenizers' lengths against the UNet's conditioning
 * inputs, the VAE's channels and its upscaling factor (found by decoding a small zero latent once,
 * and checked against vae_decoder/config.json {@code block_out_channels} when that is given).
 *
 * @param unet          the denoiser
 * @param unetSignature its checked inputs
 * @param textEncoders  none (unconditional), one, or two (Stable Diffusion XL: text_encoder and
 *                      text_encoder_2, whose hidden states are concatenated in this order)
 * @param vaeDecoder    the VAE decoder, or null for pixel-space models
 * @param vaeInput      its input name, or null
 * @param vaeOutput     its output name, or null
 * @param sizeFactor    pixels per latent cell along each side (1 for pixel models)
 */
public record ModelNetworks(OnnxNetwork unet, UnetSignature unetSignature, List<TextEncoder> textEncoders,
                            OnnxNetwork vaeDecoder, String vaeInput, String vaeOutput, int sizeFactor)
        implements AutoCloseable {

    /**
     * Opens every network of the folder on the device.
     *
     * @throws EngineException naming the network and what is wrong with it
     */
    public static ModelNetworks open(ModelFolder model, ExecutionDevice device) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<AutoCloseable> opened = new ArrayList<>();
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
                checkUpcast(model, vaeIn);
            }
            Path unetConfig = model.unet().resolveSibling("config.json");
            UnetSignature sig = UnetSignature.of(unet, model.isConditional(), model.isXl(), channelsHint(model, vaeIn),
                    ModelFolder.configInt(unetConfig, "time_cond_proj_dim"));
            if (vaeIn != null && vaeIn.dim(1) > 0 && vaeIn.dim(1) != sig.latentChannels()) {
                throw new EngineException("vae_decoder: takes " + vaeIn.dim(1) + " latent channels but the UNet makes "
                        + sig.latentChannels());
            }
            List<TextEncoder> encoders = new ArrayList<>();
            if (model.isConditional()) {
                long fixedTokens = sig.encoderHiddenStates().dim(1);
                TextEncoder first = TextEncoder.open(env, "text_encoder", model.textEncoder(), model.tokenizer(), so,
                        model.isXl(), false, fixedTokens);
                opened.add(first);
                encoders.add(first);
                if (model.isXl()) {
                    TextEncoder second = TextEncoder.open(env, "text_encoder_2", model.textEncoder2(),
                            model.tokenizer2(), so, true, true, fixedTokens);
                    opened.add(second);
                    encoders.add(second);
                }
                checkConditioning(encoders, sig);
            }
            String vaeInput = vaeIn == null ? null : vaeIn.name();
            String vaeOutput = vae == null ? null : vae.outputOrFirst("sample").name();
            int factor = vae == null ? 1 : probeFactor(vae, vaeIn, vaeOutput, sig.latentChannels());
            int configFactorLength = vae == null ? -1
                    : ModelFolder.configListLength(model.vaeDecoder().resolveSibling("config.json"), "block_out_channels");
            if (configFactorLength > 0 && configFactorLength <= 16 && (1 << (configFactorLength - 1)) != factor) {
                throw new EngineException("vae_decoder: its graph upscales latents " + factor + "×, but config.json's "
                        + configFactorLength + " block_out_channels make the pipeline's factor "
                        + (1 << (configFactorLength - 1)) + " (2^(blocks − 1)); the config does not belong to this graph");
            }
            return new ModelNetworks(unet, sig, List.copyOf(encoders), vae, vaeInput, vaeOutput, factor);
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * diffusers' SDXL pipeline decodes a float16 VAE whose config says {@code force_upcast} (SDXL's,
     * which overflows in float16) in float32; a graph exported in float16 cannot be, so it is refused
     * rather than left to decode black or NaN images. Only XL folders: the SD 1.x/2.x pipelines have
     * no such rule, and diffusers writes {@code force_upcast: true} (AutoencoderKL's default) into
     * every VAE config it saves, fp16 exports of SD 1.5 included.
     */
    private static void checkUpcast(ModelFolder model, TensorSpec vaeIn) {
        Path config = model.vaeDecoder().resolveSibling("config.json");
        if (model.isXl() && vaeIn.type() == OnnxJavaType.FLOAT16
                && ModelFolder.configFlag(config, "force_upcast", false)) {
            throw new EngineException("vae_decoder: " + config + " sets force_upcast (this VAE overflows in float16 and"
                    + " the reference pipeline decodes it in float32), but the graph takes float16; export the VAE"
                    + " decoder in float32, or use a VAE made for float16 whose config sets force_upcast false");
        }
    }

    /**
     * The encoders' hidden states, concatenated, must be as wide as the UNet's
     * {@code encoder_hidden_states}, their tokenizers equally long, and SDXL's pooled projection as
     * wide as {@code text_embeds}.
     */
    private static void checkConditioning(List<TextEncoder> encoders, UnetSignature sig) {
        long width = 0;
        for (TextEncoder e : encoders) {
            width = e.hiddenWidth() > 0 && width >= 0 ? width + e.hiddenWidth() : -1;
            if (e.tokenizer().maxLength() != encoders.get(0).tokenizer().maxLength()) {
                throw new EngineException("tokenizer_2: model_max_length " + e.tokenizer().maxLength()
                        + " differs from tokenizer's " + encoders.get(0).tokenizer().maxLength()
                        + "; the two encoders' hidden states are joined token by token");
            }
        }
        long unetHidden = sig.encoderHiddenStates().dim(2);
        if (width > 0 && unetHidden > 0 && width != unetHidden) {
            throw new EngineException("text_encoder: makes hidden states of width " + width
                    + (encoders.size() > 1 ? " (both encoders joined)" : "") + " but the UNet's encoder_hidden_states"
                    + " take " + unetHidden);
        }
        if (sig.textEmbeds() != null) {
            long pooled = encoders.get(encoders.size() - 1).pooledWidth();
            if (pooled > 0 && sig.textEmbeds().dim(1) > 0 && pooled != sig.textEmbeds().dim(1)) {
                throw new EngineException("text_encoder_2: its text_embeds are " + pooled + " wide but the UNet's"
                        + " text_embeds take " + sig.textEmbeds().dim(1));
            }
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

    /** The tokens each encoder takes (all take the same number), or 0 for unconditional models. */
    public int contextLength() {
        return textEncoders.isEmpty() ? 0 : textEncoders.get(0).tokenizer().maxLength();
    }

    @Override
    public void close() {
        unet.close();
        textEncoders.forEach(TextEncoder::close);
        if (vaeDecoder != null) {
            vaeDecoder.close();
        }
    }
}
