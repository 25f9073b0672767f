package io.diffusionbatch.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Base of the commands that start the platform's Spring context (local mode's Kafka and
 * PostgreSQL, or external services). Besides its own options such a command takes
 * {@code --data-dir DIR} (passed on as {@code --diffusion.data-dir=DIR}) and Spring settings
 * {@code --PREFIX.NAME=VALUE} for the prefixes of {@link #SPRING_PREFIXES}, passed on as they are;
 * any other argument that its options and parameters do not take is a usage error. One instance
 * per command line; not thread-safe.
 */
@Command(footer = {"", "Also takes Spring settings as --NAME=VALUE for names under diffusion., spring., server., "
        + "management. and logging., e.g. --diffusion.job.batch-size=16 (see config/application.yaml)."})
abstract class PlatformCommand implements Callable<Integer> {

    /** Arguments with these prefixes are Spring settings. */
    static final List<String> SPRING_PREFIXES = List.of("--diffusion.", "--spring.", "--server.", "--management.",
            "--logging.");

    @Spec
    private CommandSpec spec;

    @Mixin
    private HelpOption help;

    @Option(names = "--data-dir", paramLabel = "DIR", order = 1000, description = "Local mode's data folder: "
            + "Postgres, Kafka, outputs and services.json, through which commands find a running server "
            + "(default: data, i.e. diffusion.data-dir).")
    private String dataDir;

    @Unmatched
    private List<String> unmatched = new ArrayList<>();

    /**
     * The arguments for the Spring context: {@code --diffusion.data-dir=DIR} when {@code --data-dir}
     * was given, then the Spring settings in the order given.
     *
     * @throws ParameterException naming the first argument that is neither an option of the
     *                            command nor a Spring setting
     */
    final String[] springArgs() {
        List<String> unknown = unknownArguments(spec.commandLine());
        if (!unknown.isEmpty()) {
            throw new UnmatchedArgumentException(spec.commandLine(), unknown);
        }
        List<String> args = new ArrayList<>();
        if (dataDir != null) {
            args.add("--diffusion.data-dir=" + dataDir);
        }
        args.addAll(unmatched);
        return args.toArray(String[]::new);
    }

    /**
     * The arguments of a command line that picocli did not match, less the Spring settings where the
     * command is a platform command: what the command does not take.
     */
    static List<String> unknownArguments(CommandLine commandLine) {
        boolean platform = commandLine.getCommand() instanceof PlatformCommand;
        return commandLine.getUnmatchedArguments().stream().filter(a -> !(platform && isSpringSetting(a))).toList();
    }

    /** The command's picocli model. */
    final CommandSpec spec() {
        return spec;
    }

    /** A usage error (exit code 2) of this command. */
    /**
     * A RUN argument as a run id.
     *
     * @throws ParameterException (exit code 2) naming RUN when it is not a number
     */
    final long runId(String run) {
        return RunReport.runId(run).orElseThrow(() -> usage("RUN: must be a run id (a number), was '" + run + "'"));
    }

    /**
     * For commands that talk to a running server: the client context must have found one (in local mode, through
     * the data directory's services.json) rather than started services of its own.
     *
     * @throws ParameterException (exit code 2) saying how to start one
     */
    final void requireRunningServer(org.springframework.context.ConfigurableApplicationContext ctx) {
        if (ctx.containsBean("localServices")) {
            throw usage("no server is running for this data directory: start one with "
                    + "'java -jar target/diffusion-batch.jar serve' (or run 'demo')");
        }
    }

    final ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * The Spring arguments with {@code --key=value} in front unless they set {@code key} themselves: a default of
     * this command that the user may override.
     */
    static String[] withDefault(String[] spring, String key, String value) {
        if (java.util.Arrays.stream(spring).anyMatch(a -> a.startsWith("--" + key + "="))) {
            return spring;
        }
        List<String> args = new ArrayList<>(List.of("--" + key + "=" + value));
        args.addAll(List.of(spring));
        return args.toArray(String[]::new);
    }

    static boolean isSpringSetting(String arg) {
        return SPRING_PREFIXES.stream().anyMatch(p -> arg.startsWith(p) && arg.length() > p.length());
    }
}
