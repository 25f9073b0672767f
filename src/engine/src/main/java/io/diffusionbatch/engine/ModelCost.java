package io.diffusionbatch.engine;

/**
 * Size and cost of a model's networks at one resolution, counted from their ONNX graphs.
 * FLOPs count a multiply-add as 2 and cover Conv, ConvTranspose, MatMul, Gemm and attention; when
 * {@code unresolvedNodes} is not 0 some nodes' shapes could not be inferred and the FLOPs are a
 * lower bound; -1 means a graph could not be analysed at all (its figures are then 0). Absent
 * networks count 0.
 *
 * @param textEncoderParams   parameters of the text encoder, of both for Stable Diffusion XL (0 when absent)
 * @param unetParams          parameters of the denoiser
 * @param vaeDecoderParams    parameters of the VAE decoder (0 when absent)
 * @param textEncoderFlops    FLOPs of one text-encoder evaluation of one prompt (both encoders for SDXL)
 * @param unetFlops           FLOPs of one denoiser evaluation of one sample
 * @param vaeDecoderFlops     FLOPs of decoding one sample (all frames of a video)
 * @param flopsPerSample      NFE × unet + prompts encoded × text encoder + decoder, for this item's settings
 * @param unresolvedNodes     graph nodes whose FLOPs could not be determined, -1 when a graph could not be read
 */
public record ModelCost(long textEncoderParams, long unetParams, long vaeDecoderParams, long textEncoderFlops,
                        long unetFlops, long vaeDecoderFlops, long flopsPerSample, int unresolvedNodes) {

    public long totalParams() {
        return textEncoderParams + unetParams + vaeDecoderParams;
    }
}
