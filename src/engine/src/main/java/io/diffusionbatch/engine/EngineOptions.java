package io.diffusionbatch.engine;

/**
 * How the engine runs, as opposed to what it generates.
 *
 * @param device     {@code cpu} or {@code cuda}
 * @param deviceId   CUDA device ordinal
 * @param threads    ONNX Runtime intra-op threads; 0 = its default (one per core)
 * @param batchSize  items per network call (micro-batch); guidance doubles the rows of the UNet call
 */
public record EngineOptions(String device, int deviceId, int threads, int batchSize) {

    public EngineOptions {
        if (!"cpu".equals(device) && !"cuda".equals(device)) {
            throw new IllegalArgumentException("device: must be cpu or cuda, was '" + device + "'");
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("device-id: must be >= 0, was " + deviceId);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads: must be >= 0, was " + threads);
        }
        if (batchSize < 1 || batchSize > 1024) {
            throw new IllegalArgumentException("batch: must be between 1 and 1024, was " + batchSize);
        }
    }

    public static EngineOptions cpu() {
        return new EngineOptions("cpu", 0, 0, 1);
    }

    public EngineOptions withBatchSize(int b) {
        return new EngineOptions(device, deviceId, threads, b);
    }
}
