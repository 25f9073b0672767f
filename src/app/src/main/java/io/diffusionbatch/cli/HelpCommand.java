package io.diffusionbatch.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code help [COMMAND]}: the help of a command, the same text as {@code COMMAND --help}, or the
 * top-level help. (picocli's own help command takes unknown options silently as a command name.)
 * Stateless apart from its stream.
 */
@Command(name = "help", sortOptions = false,
        description = {"Show the help of a command (the same as COMMAND --help), or the list of commands."})
final class HelpCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    @Parameters(paramLabel = "COMMAND", arity = "0..1",
            description = "The command whose help to show (default: the top level's, with the list of commands).")
    private String command;

    private final PrintStream out;

    HelpCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        CommandLine top = spec.parent().commandLine();
        if (command == null) {
            top.usage(out);
            return 0;
        }
        CommandLine sub = top.getSubcommands().get(command);
        if (sub == null) {
            throw new UnmatchedArgumentException(top, List.of(command));
        }
        sub.usage(out);
        return 0;
    }
}
