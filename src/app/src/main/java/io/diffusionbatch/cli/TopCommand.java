package io.diffusionbatch.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The top-level command {@code diffusion-batch}: its help lists the subcommands and the exit codes;
 * without a subcommand it prints that help and exits with 2. Not thread-safe.
 */
@Command(name = Main.NAME, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Batch generation with diffusion models on ONNX Runtime.",
                "Run as: java -jar target/diffusion-batch.jar COMMAND [OPTIONS] (or through a diffusion-batch alias; "
                        + "see README.md). 'diffusion-batch COMMAND --help' (or 'help COMMAND') is the reference of "
                        + "each command's options.", ""},
        commandListHeading = "%nCommands:%n",
        footer = {"", "The batch platform's commands (demo to dashboard-bench) run local mode by default: a real Kafka "
                + "and PostgreSQL with their data under --data-dir DIR (default: data). They also take Spring "
                + "settings as --NAME=VALUE for names under diffusion., spring., server., management. and logging., "
                + "for example:",
                "  --diffusion.job.batch-size=16",
                "  --spring.profiles.active=external",
                "(see config/application.yaml)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:ok",
                "1:failure: an error while running, or an outcome that is not a success (a run that failed or was "
                        + "cancelled, an item that did not reproduce, a sweep point without figures, no answer "
                        + "within --timeout)",
                "2:bad usage or bad input: an unknown command or option, a value out of range, a file or model that "
                        + "cannot be used, a request the server refused (submit)",
                "10:PostgreSQL unreachable, or it refused the login (one line names the address and the cause)",
                "11:Kafka unreachable, it refused the login, or the topics cannot be checked or created",
                "12:the output root cannot be written",
                "13:no live server uses the ledger (submit; --no-server-check sends anyway)"})
final class TopCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    private final PrintStream out;

    TopCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(out);
        return ErrorReporter.USAGE;
    }
}
