package io.diffusionbatch.engine.model;

/**
 * Whether the JVM has begun to shut down, for the ONNX Runtime calls that must not start then.
 *
 * <p>ONNX Runtime's Java API releases its native environment ({@code OrtEnvironment$OrtEnvCloser})
 * in a JVM shutdown hook, and the JVM runs its shutdown hooks concurrently with each other and with
 * every thread still running. A session run or created after that hook has run uses the freed
 * environment (its logging manager) and crashes the JVM with a SIGSEGV in {@code libonnxruntime}:
 * a server stopped by SIGTERM while a job was running did so, because Spring's shutdown hook waits
 * for the job's micro-batch while ONNX Runtime's hook has already released the environment.
 *
 * <p>The test is exact for calls that start after the shutdown began: the JVM refuses new shutdown
 * hooks from the moment it starts running them, before any hook runs. A call already inside ONNX
 * Runtime when the shutdown begins is not protected; the server closes its context (and so ends
 * its jobs) before it lets the JVM exit. Thread-safe.
 */
public final class JvmShutdown {

    private JvmShutdown() {
    }

    /** True once the JVM runs its shutdown hooks (ONNX Runtime's environment may be freed already). */
    public static boolean inProgress() {
        Thread probe = new Thread(() -> { }, "shutdown-probe"); // never started unless the shutdown runs it
        try {
            Runtime.getRuntime().addShutdownHook(probe);
        } catch (IllegalStateException e) {
            return true; // "Shutdown in progress"
        }
        try {
            Runtime.getRuntime().removeShutdownHook(probe);
        } catch (IllegalStateException e) {
            return true;
        }
        return false;
    }

    /**
     * @throws EngineException when the JVM is shutting down, instead of letting ONNX Runtime use its
     *                         released environment
     */
    public static void checkRunning(String role) {
        if (inProgress()) {
            throw new EngineException(role + ": not run: the JVM is shutting down and ONNX Runtime's shutdown hook"
                    + " releases its environment");
        }
    }
}
