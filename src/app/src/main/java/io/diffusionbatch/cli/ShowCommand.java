package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code show RUN}: one run as the ledger holds it. One instance per command line; not thread-safe. */
@Command(name = "show", sortOptions = false,
        description = {"One run: status, item counts, figures, quality, events and the request."})
final class ShowCommand extends PlatformCommand {

    @Parameters(paramLabel = "RUN", description = "Run id (a number, as 'runs' lists them).")
    private String run;

    private final PrintStream out;

    ShowCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        long id = runId(run);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            RequestRow r = ctx.getBean(RequestStore.class).find(id).orElseThrow(() -> usage("RUN: no run " + id));
            RunReport.show(r, ctx.getBean(OutputRoot.class), ctx.getBean(ItemStore.class), ctx.getBean(RunStatsStore.class),
                    ctx.getBean(QualityStore.class), ctx.getBean(EventStore.class), out);
        }
        return 0;
    }
}
