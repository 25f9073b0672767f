package io.diffusionbatch.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code dataset}: the parent of the nightly dataset commands; without a subcommand it prints its help and exits
 * with 2. Its subcommands take streams, so they are instances listed in {@link #commandLine} (add a new one there).
 * Not thread-safe.
 */
@Command(name = "dataset", sortOptions = false, commandListHeading = "%nCommands:%n",
        description = {"Nightly dataset synthesis: run a spec for a night, list nights, show one, diff two, export one again."})
final class DatasetCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    private final PrintStream out;

    private DatasetCommand(PrintStream out) {
        this.out = out;
    }

    /** The {@code dataset} command with its subcommands, printing to {@code out}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine dataset = new CommandLine(new DatasetCommand(out));
        List.of(new DatasetRunCommand(out, err), new DatasetListCommand(out), new DatasetShowCommand(out),
                        new DatasetDiffCommand(out), new DatasetExportCommand(out, err))
                .forEach(dataset::addSubcommand);
        return dataset;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(out);
        return ErrorReporter.USAGE;
    }
}
