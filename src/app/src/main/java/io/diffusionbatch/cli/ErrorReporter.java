package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.platform.DependencyFailure;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.MaxValuesExceededException;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns what goes wrong into one line on stderr and an exit code: a bad command line or bad input
 * ({@link ParameterException}, thrown by picocli while parsing or by a command while checking its
 * input) is {@code error: MESSAGE}, exit {@value #USAGE}; anything else a command throws is
 * {@code failed: MESSAGE}, exit {@value #FAILURE}, except a dependency that failed its start-up
 * check ({@link DependencyFailure} among the causes): {@code diffusion-batch: MESSAGE} (service,
 * address, cause), exit 10 (PostgreSQL), 11 (Kafka), 12 (output root) or 13 (no live server). Messages start with the option or parameter at
 * fault ({@code --steps: must be an integer, was 'ten'}). Stateless apart from its stream.
 */
final class ErrorReporter implements IParameterExceptionHandler, IExecutionExceptionHandler {

    /** Exit code of a command that ran and succeeded. */
    static final int OK = 0;
    /** Exit code of a failure while running (or of a run that failed). */
    static final int FAILURE = 1;
    /** Exit code of a bad command line or bad input. */
    static final int USAGE = 2;

    private static final Pattern FLAG_WITH_VALUE = Pattern.compile("option '([^']+)' should be specified without '(.*)' parameter");

    private final PrintStream err;

    ErrorReporter(PrintStream err) {
        this.err = err;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        ParameterException shown = ex;
        List<String> unknown = PlatformCommand.unknownArguments(ex.getCommandLine());
        if (!(ex instanceof UnmatchedArgumentException) && !unknown.isEmpty()) {
            // picocli checks required options and parameters before it reports unknown ones: name those first
            shown = new UnmatchedArgumentException(ex.getCommandLine(), unknown);
        }
        err.println("error: " + message(shown));
        if (shown.getClass() != ParameterException.class) { // picocli's own: the command line itself is wrong
            err.println("see '" + shown.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
        }
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        Optional<DependencyFailure> dependency = dependencyFailure(ex);
        if (dependency.isPresent()) {
            err.println(Main.NAME + ": " + dependency.get().getMessage());
            return dependency.get().service().exitCode();
        }
        if (DatabaseWatch.isOutage(ex)) {
            Throwable root = ex;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            err.println("failed: the ledger database does not answer (" + root.getMessage() + "); check that"
                    + " PostgreSQL runs and spring.datasource.url points to it, then try again");
            return FAILURE;
        }
        err.println("failed: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
        return FAILURE;
    }

    /** The start-up check failure among {@code ex}'s causes (the context wraps it in bean creation errors). */
    static Optional<DependencyFailure> dependencyFailure(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DependencyFailure d) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The message of a usage error, starting with the option or parameter at fault where there is one. */
    static String message(ParameterException ex) {
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            if (first.startsWith("-")) {
                String name = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
                return name + ": unknown option" + suggestion(u);
            }
            return ex.getCommandLine().getParent() == null ? "unknown command '" + first + "'; try 'help'" + suggestion(u)
                    : "unexpected argument '" + first + "'";
        }
        if (ex instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            ArgSpec a = m.getMissing().get(0);
            if (a instanceof OptionSpec o) {
                return o.longestName() + (ex.getMessage().startsWith("Missing required option") ? ": required" : ": needs a value");
            }
            return a.paramLabel() + ": required";
        }
        if (ex instanceof OverwrittenOptionException o && o.getOverwritten() instanceof OptionSpec spec) {
            return spec.longestName() + ": given more than once";
        }
        if (ex instanceof MaxValuesExceededException) {
            Matcher flag = FLAG_WITH_VALUE.matcher(ex.getMessage());
            if (flag.find()) {
                return flag.group(1) + ": takes no value, was given '" + flag.group(2) + "'";
            }
        }
        if (ex.getCause() instanceof TypeConversionException t && ex.getArgSpec() != null) {
            ArgSpec a = ex.getArgSpec();
            return (a instanceof OptionSpec o ? o.longestName() : a.paramLabel()) + ": " + t.getMessage();
        }
        return ex.getMessage();
    }

    private static String suggestion(UnmatchedArgumentException u) {
        return u.getSuggestions().isEmpty() ? "" : " (did you mean " + String.join(" or ", u.getSuggestions()) + "?)";
    }
}
