package io.diffusionbatch.cli;

/** A command line that cannot run; the message names the option and the rule. */
final class UsageException extends RuntimeException {

    UsageException(String message) {
        super(message);
    }
}
