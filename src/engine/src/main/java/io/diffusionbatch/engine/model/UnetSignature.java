package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import java.util.Set;

/**
 * The denoiser's inputs as its graph declares them: {@code sample} (4-D image or 5-D video
 * latents), {@code timestep} (int or float; a scalar, one value, or one per batch row) and, for
 * conditional models, {@code encoder_hidden_states}.
 *
 * @param sample               the sample input
 * @param timestep             the timestep input
 * @param encoderHiddenStates  the text conditioning input, or null for unconditional models
 * @param output               name of the prediction output
 * @param latentChannels       channels of a sample (from the graph, or from the model's configs when
 *                             the graph leaves them dynamic, as diffusers' ONNX exporter does)
 */
public record UnetSignature(TensorSpec sample, TensorSpec timestep, TensorSpec encoderHiddenStates, String output,
                            long latentChannels) {

    private static final Set<OnnxJavaType> TIMESTEP_TYPES = Set.of(OnnxJavaType.INT64, OnnxJavaType.INT32,
            OnnxJavaType.FLOAT, OnnxJavaType.FLOAT16, OnnxJavaType.DOUBLE);

    /**
     * Reads and checks the UNet's signature.
     *
     * @param conditional    whether the model has a text encoder
     * @param channelsHint   the latent channels the model's configs or VAE give, or -1 if none does;
     *                       used when the graph's channel dimension is dynamic
     * @throws EngineException naming the graph and what is wrong with its inputs
     */
    public static UnetSignature of(OnnxNetwork unet, boolean conditional, long channelsHint) {
        Set<String> expected = conditional ? Set.of("sample", "timestep", "encoder_hidden_states")
                : Set.of("sample", "timestep");
        if (!unet.inputs().keySet().equals(expected)) {
            throw new EngineException("unet: " + unet.file() + " has inputs " + unet.inputs().values() + "; a "
                    + (conditional ? "conditional" : "unconditional (no text_encoder)") + " model's UNet must have exactly "
                    + (conditional ? "sample, timestep, encoder_hidden_states" : "sample, timestep"));
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
        return new UnetSignature(sample, t, ehs, out.name(), channels);
    }

    public boolean isVideo() {
        return sample.rank() == 5;
    }

    /** The batch size the graph requires, or -1 when the batch dimension is dynamic. */
    public long fixedBatch() {
        return sample.dim(0);
    }
}
