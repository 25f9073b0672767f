package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.Optional;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code retry RUN}: puts a failed run back in the queue. One instance per command line; not thread-safe. */
@Command(name = "retry", sortOptions = false,
        description = {"Put a failed run back in the queue once its cause is gone (e.g. the output volume was full): "
                + "it resumes where it stopped and makes only its pending items."})
final class RetryCommand extends PlatformCommand {

    @Parameters(paramLabel = "RUN", description = "Run id (a number, as 'runs' lists them).")
    private String run;

    private final PrintStream out;

    RetryCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        long id = runId(run);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            RequestStore requests = ctx.getBean(RequestStore.class);
            Optional<RequestRow> before = requests.find(id);
            if (before.isEmpty()) {
                throw usage("RUN: no run " + id);
            }
            if (requests.retry(id)) {
                out.println("run " + id + ": accepted again (it failed: " + before.get().message()
                        + "); the server resumes it where it stopped");
            } else {
                out.println("run " + id + ": " + before.get().status() + " (only a failed run can be retried)");
            }
        }
        return 0;
    }
}
