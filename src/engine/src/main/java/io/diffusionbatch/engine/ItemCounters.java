package io.diffusionbatch.engine;

/**
 * What one generated item cost. Stage times are the item's share of its micro-batch's time
 * (the batch's time divided by the items in it), in seconds.
 *
 * @param nfe                denoiser evaluations per sample (steps, doubled by classifier-free guidance)
 * @param steps              sampler steps
 * @param batchSize          items in the micro-batch this item ran in
 * @param tokenizeSeconds    tokenizing prompt and negative prompt
 * @param textEncodeSeconds  running the text encoder
 * @param denoiseSeconds     the sampling loop (UNet calls and sampler updates)
 * @param decodeSeconds      the VAE decoder (0 for pixel models)
 * @param writeSeconds       encoding and writing the output files; 0 until written
 * @param device             where the networks ran, e.g. {@code cpu} or {@code cuda:0}
 * @param executionProvider  ONNX Runtime execution provider that ran them, e.g. {@code CPUExecutionProvider}
 * @param threads            ONNX Runtime intra-op threads (0 = its default)
 * @param cost               parameters and FLOPs of the networks, and FLOPs per sample
 */
public record ItemCounters(int nfe, int steps, int batchSize, double tokenizeSeconds, double textEncodeSeconds,
                           double denoiseSeconds, double decodeSeconds, double writeSeconds, String device,
                           String executionProvider, int threads, ModelCost cost) {

    public double totalSeconds() {
        return tokenizeSeconds + textEncodeSeconds + denoiseSeconds + decodeSeconds + writeSeconds;
    }

    public ItemCounters withWriteSeconds(double seconds) {
        return new ItemCounters(nfe, steps, batchSize, tokenizeSeconds, textEncodeSeconds, denoiseSeconds,
                decodeSeconds, seconds, device, executionProvider, threads, cost);
    }
}
