package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runs}: the latest runs of the ledger. In local mode it uses the Postgres of a running
 * {@code serve}, or starts it alone when none runs. One instance per command line; not thread-safe.
 */
@Command(name = "runs", sortOptions = false,
        description = {"List the latest runs.",
                "Prints id, request, model, status, items, priority, accepted. Uses the "
                + "Postgres of a running serve, or starts it alone when none runs."})
final class RunsCommand extends PlatformCommand {

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "How many runs, >= 1 (default: ${DEFAULT-VALUE}).")
    private int limit;

    private final PrintStream out;

    RunsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        if (limit < 1) {
            throw usage("--limit: must be >= 1, was " + limit);
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            RunReport.list(ctx.getBean(RequestStore.class).latest(limit), out);
        }
        return 0;
    }
}
