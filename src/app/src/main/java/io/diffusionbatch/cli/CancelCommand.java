package io.diffusionbatch.cli;

import io.diffusionbatch.job.RunLifecycle;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.Optional;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cancel RUN}: marks a run for cancellation. One instance per command line; not thread-safe. */
@Command(name = "cancel", sortOptions = false,
        description = {"Stop a run: the micro-batch in flight finishes, the remaining items are cancelled."})
final class CancelCommand extends PlatformCommand {

    @Parameters(paramLabel = "RUN", description = "Run id (a number, as 'runs' lists them).")
    private String run;

    private final PrintStream out;

    CancelCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        long id = runId(run);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            Optional<RunStatus> status = ctx.getBean(RunLifecycle.class).cancel(id);
            if (status.isEmpty()) {
                throw usage("RUN: no run " + id);
            }
            out.println("run " + id + ": " + status.get() + switch (status.get()) {
                case CANCELLING -> " (the micro-batch in flight finishes, the remaining items are cancelled)";
                case CANCELLED -> "";
                default -> " (already finished; nothing to cancel)";
            });
        }
        return 0;
    }
}
