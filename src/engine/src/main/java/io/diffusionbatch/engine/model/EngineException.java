package io.diffusionbatch.engine.model;

/**
 * A generation that cannot run: a bad model folder, a bad setting, or a failure of ONNX Runtime.
 * It lives with the model folder and the networks, the lowest layer that can fail, so that the
 * engine package depends on {@code engine.model} and never the other way round.
 */
public class EngineException extends RuntimeException {

    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
