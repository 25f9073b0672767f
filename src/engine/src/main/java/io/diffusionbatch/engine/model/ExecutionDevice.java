package io.diffusionbatch.engine.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;

/**
 * Session options for the configured device, and the names of what actually runs.
 *
 * @param device   {@code cpu} or {@code cuda}
 * @param deviceId CUDA device ordinal
 * @param threads  intra-op threads, 0 = ONNX Runtime's default
 */
public record ExecutionDevice(String device, int deviceId, int threads) {

    /** Where the networks run, as recorded: {@code cpu} or {@code cuda:N}. */
    public String label() {
        return "cuda".equals(device) ? "cuda:" + deviceId : "cpu";
    }

    /**
     * The ONNX Runtime execution provider the sessions were given first; with CUDA, nodes it cannot
     * run fall back to the CPU provider.
     */
    public String providerName() {
        return "cuda".equals(device) ? "CUDAExecutionProvider" : "CPUExecutionProvider";
    }

    /**
     * ONNX Runtime's intra-op threads do not spin while they wait for work. Spinning keeps every
     * core busy between operators; beside the platform's own threads (Kafka, PostgreSQL, the job)
     * a parallel operator then waits for its slowest, preempted thread: measured on platform-bench
     * (docs/BENCHMARKS.md), the engine ran ~9 % slower inside the platform than alone with
     * spinning, and as fast without it, while the engine alone was not slower without it.
     */
    static final String INTRA_OP_SPINNING = "session.intra_op.allow_spinning";

    /**
     * New session options for this device (intra-op threads that do not spin); the caller closes them.
     *
     * @throws EngineException when CUDA is asked for and this ONNX Runtime build or machine lacks it
     */
    public OrtSession.SessionOptions sessionOptions() {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        try {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            o.addConfigEntry(INTRA_OP_SPINNING, "0");
            if ("cuda".equals(device)) {
                if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                    throw new EngineException("device: cuda was requested but this build of ONNX Runtime has no CUDA"
                            + " execution provider (available: " + OrtEnvironment.getAvailableProviders()
                            + "); build with 'mvn -Pcuda package' on a machine with CUDA, or use --device cpu");
                }
                o.addCUDA(deviceId);
            }
            return o;
        } catch (OrtException e) {
            o.close();
            throw new EngineException("device: cannot use " + label() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }
}
