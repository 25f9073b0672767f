package io.diffusionbatch.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/**
 * Entry point: {@code java -jar diffusion-batch.jar COMMAND [OPTIONS]}. The commands are picocli
 * commands under {@link TopCommand}; their help, the usage errors and the bash completion are
 * generated from the same model.
 */
public final class Main {

    /** The command's name in help texts and in the completion script. */
    static final String NAME = "diffusion-batch";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs a command line; returns the exit code: 0 ok, 1 failure, 2 bad usage or bad input (see
     * the top-level help for what each command adds).
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = commandLine(out, err);
        try {
            return cli.execute(args);
        } finally {
            cli.getOut().flush();
            cli.getErr().flush();
        }
    }

    /** The whole command tree, printing to {@code out} and {@code err}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new TopCommand(out));
        List<Object> commands = List.of(
                new GenerateCommand(out, err),
                new BenchCommand(out),
                new EvaluateCommand(out, err),
                new DemoCommand(out, err),
                new ServeCommand(err),
                new ManagerCommand(err),
                new WorkerCommand(err),
                new ClusterDemoCommand(out, err),
                new SubmitCommand(out, err),
                new DoctorCommand(out),
                new RunsCommand(out),
                new ShowCommand(out),
                new CancelCommand(out),
                new RetryCommand(out),
                new ItemCommand(out),
                new ReproduceCommand(out),
                new ReportCommand(out),
                new CompareCommand(out),
                DatasetCommand.commandLine(out, err),
                new SweepCommand(out, err),
                new PlatformBenchCommand(out, err),
                new DashboardBenchCommand(out, err),
                new CompletionCommand(out),
                new HelpCommand(out));
        commands.forEach(cli::addSubcommand);
        Converters.register(cli);
        ErrorReporter errors = new ErrorReporter(err);
        cli.setParameterExceptionHandler(errors);
        cli.setExecutionExceptionHandler(errors);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli;
    }
}
