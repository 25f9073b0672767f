package io.diffusionbatch.output;

/**
 * A write or read that the output store refused because it would leave the output root: a symbolic link on the
 * way, a folder that is not one, or a path outside the root. The message names the path and the reason; the run
 * that met it fails with that message.
 */
public class OutputRefusedException extends RuntimeException {

    public OutputRefusedException(String message) {
        super(message);
    }
}
