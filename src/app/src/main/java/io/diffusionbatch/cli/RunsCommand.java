package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;

/**
 * {@code runs}, {@code show RUN} and {@code cancel RUN}: read (or, for cancel, mark) the ledger.
 * In local mode they use the Postgres of a running {@code serve}, or start it alone when none
 * runs. Not thread-safe.
 */
final class RunsCommand {

    private final PrintStream out;

    RunsCommand(PrintStream out) {
        this.out = out;
    }

    int run(String command, String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options o = Options.parse(split.own(), Set.of("limit"), Set.of());
        if (!command.equals("runs") && o.positional().size() != 1) {
            throw new UsageException(command + ": needs exactly one RUN id, e.g. '" + command + " 3'");
        }
        long run = command.equals("runs") ? 0 : RunReport.runId(o.positional().get(0))
                .orElseThrow(() -> new UsageException("RUN: must be a run id (a number), was '" + o.positional().get(0) + "'"));
        int limit = o.integer("limit", 20);
        if (limit < 1) {
            throw new UsageException("--limit: must be >= 1, was " + limit);
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", split.spring())) {
            RequestStore requests = ctx.getBean(RequestStore.class);
            switch (command) {
                case "runs" -> RunReport.list(requests.latest(limit), out);
                case "show" -> {
                    RequestRow r = requests.find(run).orElseThrow(() -> new UsageException("RUN: no run " + run));
                    RunReport.show(r, ctx.getBean(ItemStore.class), ctx.getBean(RunStatsStore.class),
                            ctx.getBean(io.diffusionbatch.ledger.QualityStore.class),
                            ctx.getBean(EventStore.class), out);
                }
                case "cancel" -> {
                    Optional<RunStatus> status = requests.requestCancel(run);
                    if (status.isEmpty()) {
                        throw new UsageException("RUN: no run " + run);
                    }
                    out.println("run " + run + ": " + status.get() + switch (status.get()) {
                        case CANCELLING -> " (the micro-batch in flight finishes, the remaining items are cancelled)";
                        case CANCELLED -> "";
                        default -> " (already finished; nothing to cancel)";
                    });
                }
                default -> throw new IllegalStateException(command);
            }
        }
        return 0;
    }
}
