package io.diffusionbatch.cli;

import io.diffusionbatch.job.ExportTasklet;
import io.diffusionbatch.ledger.DatasetStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;

/**
 * {@code dataset export RUN}: writes a finished night's export again from the ledger and the run's outputs (the
 * export folder was deleted or moved, or to check that it comes out byte for byte the same). The same code as the
 * job's export step. One instance per command line; not thread-safe.
 */
@Command(name = "export", sortOptions = false,
        description = {"Write a finished night's export again from the ledger (same bytes as the first time).",
                "RUN is the night's run id or its request id (dataset:NAME:DATE:HASH); the run must have completed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:exported (gate passed)", "1:exported, but the night failed its quality gate",
                "2:no such night, not completed, or bad usage",
                "3:not exported: an output differs from the ledger or is gone (pruned), or the folder cannot be written",
                "10:PostgreSQL unreachable or refused the login"})
final class DatasetExportCommand extends PlatformCommand {

    @Parameters(paramLabel = "RUN", description = "The night's run id or request id.")
    private String run;

    private final PrintStream out;
    private final PrintStream err;

    DatasetExportCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", springArgs())) {
            RequestStore requests = ctx.getBean(RequestStore.class);
            RequestRow row = (RunReport.runId(run).isPresent() ? requests.find(RunReport.runId(run).get())
                    : requests.findByClientId(run))
                    .orElseThrow(() -> usage("RUN: no run " + run));
            if (row.status() != RunStatus.COMPLETED) {
                throw usage("RUN: run " + row.id() + " is " + row.status() + "; only a completed night is exported");
            }
            DatasetStore.Night n;
            try {
                n = ctx.getBean(ExportTasklet.class).export(row.id());
            } catch (java.io.IOException | io.diffusionbatch.dataset.InvalidSpecException | IllegalStateException e) {
                err.println("error: run " + row.id() + " not exported: " + e.getMessage());
                return 3;
            }
            if (n == null) {
                throw usage("RUN: run " + row.id() + " is not a dataset night");
            }
            out.println("dataset " + n.dataset() + " night " + n.night() + ": " + n.status() + ", " + n.itemsExported()
                    + " of " + n.itemsTotal() + " items exported " + n.splitsJson() + " to " + n.exportDir()
                    + " in " + String.format(java.util.Locale.ROOT, "%.2f", n.exportSeconds()) + " s");
            return n.gatePassed() ? 0 : 1;
        }
    }
}
