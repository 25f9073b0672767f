package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import java.util.List;
import java.util.Set;

/**
 * The denoiser's inputs as its graph declares them: {@code sample} (4-D image or 5-D video
 * latents), {@code timestep} (int or float; a scalar, one value, or one per batch row), for
 * conditional models {@code encoder_hidden_states}, and the extra conditioning some families add:
 * <ul>
 *   <li>{@code timestep_cond} (batch, d): a guidance-distilled consistency model's embedding of the
 *       guidance scale (LCM distilled with {@code time_cond_proj_dim});</li>
 *   <li>{@code text_embeds} (batch, p) and {@code time_ids} (batch, 6): Stable Diffusion XL's pooled
 *       text projection and its (original size, crop top-left, target size) ids; required exactly
 *       when the folder has a second text encoder.</li>
 * </ul>
 *
 * @param sample               the sample input
 * @param timestep             the timestep input
 * @param encoderHiddenStates  the text conditioning input, or null for unconditional models
 * @param timestepCond         the guidance embedding input, or null
 * @param textEmbeds           SDXL's pooled text input, or null
 * @param timeIds              SDXL's size and crop ids input, or null
 * @param output               name of the prediction output
 * @param latentChannels       channels of a sample (from the graph, or from the model's configs when
 *                             the graph leaves them dynamic, as diffusers' ONNX exporter does)
 * @param guidanceEmbedding    width of the guidance embedding ({@code timestep_cond}'s last dimension,
 *                             else unet/config.json {@code time_cond_proj_dim}); 0 without one
 */
public record UnetSignature(TensorSpec sample, TensorSpec timestep, TensorSpec encoderHiddenStates,
                            TensorSpec timestepCond, TensorSpec textEmbeds, TensorSpec timeIds, String output,
                            long latentChannels, long guidanceEmbedding) {

    private static final Set<OnnxJavaType> TIMESTEP_TYPES = Set.of(OnnxJavaType.INT64, OnnxJavaType.INT32,
            OnnxJavaType.FLOAT, OnnxJavaType.FLOAT16, OnnxJavaType.DOUBLE);

    /** SDXL's time ids: original height and width, crop top and left, target height and width. */
    public static final int TIME_IDS = 6;

    /**
     * Reads and checks the UNet's signature.
     *
     * @param conditional    whether the model has a text encoder
     * @param xl             whether the model has a second text encoder (Stable Diffusion XL)
     * @param channelsHint   the latent channels the model's configs or VAE give, or -1 if none does;
     *                       used when the graph's channel dimension is dynamic
     * @param condProjHint   unet/config.json {@code time_cond_proj_dim}, or -1; used when
     *                       {@code timestep_cond}'s width is dynamic
     * @throws EngineException naming the graph and what is wrong with its inputs
     */
    public static UnetSignature of(OnnxNetwork unet, boolean conditional, boolean xl, long channelsHint,
                                   long condProjHint) {
        Set<String> required = new java.util.LinkedHashSet<>(List.of("sample", "timestep"));
        if (conditional) {
            required.add("encoder_hidden_states");
        }
        if (xl) {
            required.addAll(List.of("text_embeds", "time_ids"));
        }
        Set<String> allowed = new java.util.LinkedHashSet<>(required);
        if (conditional) {
            allowed.add("timestep_cond");
        }
        Set<String> have = unet.inputs().keySet();
        if (!have.containsAll(required) || !allowed.containsAll(have)) {
            throw new EngineException("unet: " + unet.file() + " has inputs " + unet.inputs().values() + "; a "
                    + (xl ? "Stable Diffusion XL (text_encoder_2)" : conditional ? "conditional"
                    : "unconditional (no text_encoder)") + " model's UNet must have exactly " + String.join(", ", required)
                    + " (and optionally timestep_cond, a guidance-distilled model's guidance embedding)"
                    + (!xl && have.contains("text_embeds") ? "; text_embeds and time_ids need an SDXL folder with"
                    + " text_encoder_2/ and tokenizer_2/" : ""));
        }
        TensorSpec sample = unet.input("sample");
        if (!sample.isFloat() || (sample.rank() != 4 && sample.rank() != 5)) {
            throw new EngineException("unet: input 'sample' must be float32 or float16 of rank 4 (batch, channels,"
                    + " height, width) or 5 (batch, channels, frames, height, width), was " + sample);
        }
        TensorSpec t = unet.input("timestep");
        if (!TIMESTEP_TYPES.contains(t.type()) || t.rank() > 1) {
            throw new EngineException("unet: input 'timestep' must be an int or float (16, 32 or 64 bit) scalar or"
                    + " 1-D tensor, was " + t);
        }
        TensorSpec ehs = null;
        if (conditional) {
            ehs = unet.input("encoder_hidden_states");
            if (!ehs.isFloat() || ehs.rank() != 3) {
                throw new EngineException("unet: input 'encoder_hidden_states' must be float32 or float16 (batch, tokens,"
                        + " hidden), was " + ehs);
            }
        }
        TensorSpec cond = have.contains("timestep_cond") ? matrix(unet, "timestep_cond", -1) : null;
        long embedding = 0;
        if (cond != null) {
            embedding = cond.dim(1) > 0 ? cond.dim(1) : condProjHint;
            if (embedding < 1) {
                throw new EngineException("unet: the width of 'timestep_cond' is dynamic in the graph and"
                        + " unet/config.json gives no time_cond_proj_dim");
            }
            if (cond.dim(1) > 0 && condProjHint > 0 && cond.dim(1) != condProjHint) {
                throw new EngineException("unet: 'timestep_cond' is " + cond.dim(1) + " wide but unet/config.json"
                        + " says time_cond_proj_dim " + condProjHint);
            }
        }
        TensorSpec textEmbeds = xl ? matrix(unet, "text_embeds", -1) : null;
        TensorSpec timeIds = xl ? matrix(unet, "time_ids", TIME_IDS) : null;
        TensorSpec out = unet.outputOrFirst("out_sample");
        if (!out.isFloat() || out.rank() != sample.rank()) {
            throw new EngineException("unet: output '" + out.name() + "' must be float32 or float16 of the sample's rank "
                    + sample.rank() + ", was " + out);
        }
        long channels = sample.dim(1) > 0 ? sample.dim(1) : out.dim(1) > 0 ? out.dim(1) : channelsHint;
        if (channels < 1) {
            throw new EngineException("unet: the channels of 'sample' are dynamic in the graph and neither"
                    + " unet/config.json (in_channels), vae_decoder/config.json (latent_channels) nor the VAE's input"
                    + " gives them");
        }
        if (sample.dim(1) > 0 && out.dim(1) > 0 && sample.dim(1) != out.dim(1)) {
            throw new EngineException("unet: output '" + out.name() + "' has " + out.dim(1) + " channels but 'sample' has "
                    + sample.dim(1) + "; UNets with learned variance (2×channels) are not supported");
        }
        return new UnetSignature(sample, t, ehs, cond, textEmbeds, timeIds, out.name(), channels, embedding);
    }

    /** A float (batch, width) input; {@code width} > 0 demands that fixed width. */
    private static TensorSpec matrix(OnnxNetwork unet, String name, long width) {
        TensorSpec s = unet.input(name);
        if (!s.isFloat() || s.rank() != 2 || (width > 0 && s.dim(1) > 0 && s.dim(1) != width)) {
            throw new EngineException("unet: input '" + name + "' of " + unet.file() + " must be float32 or float16 (batch, "
                    + (width > 0 ? String.valueOf(width) : "width") + "), was " + s);
        }
        return s;
    }

    /** Whether the guidance scale goes into the network as an embedding, instead of a second (unconditional) pass. */
    public boolean embedsGuidance() {
        return timestepCond != null;
    }

    public boolean isVideo() {
        return sample.rank() == 5;
    }

    /** The batch size the graph requires, or -1 when the batch dimension is dynamic. */
    public long fixedBatch() {
        return sample.dim(0);
    }
}
