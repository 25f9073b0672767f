package io.diffusionbatch.engine;

/** A generation that cannot run: a bad model folder, a bad setting, or a failure of ONNX Runtime. */
public class EngineException extends RuntimeException {

    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
