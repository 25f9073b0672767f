package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatasetAudit;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.Locale;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dataset list}: the nights of the datasets, newest first, as the ledger holds them. One instance per command
 * line; not thread-safe.
 */
@Command(name = "list", sortOptions = false,
        description = {"List dataset nights, newest first.",
                "Prints dataset, night, run, status (generating, exported, failed, pruned), items exported / rejected "
                + "/ missing of the total, splits, the quality gate and the export folder (under the output root)."})
final class DatasetListCommand extends PlatformCommand {

    @Option(names = "--dataset", paramLabel = "NAME", description = "Only this dataset's nights (default: every dataset).")
    private String dataset;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "30",
            description = "How many nights, >= 1 (default: ${DEFAULT-VALUE}).")
    private int limit;

    private final PrintStream out;

    DatasetListCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        if (limit < 1) {
            throw usage("--limit: must be >= 1, was " + limit);
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            String row = "%-20s %-10s %6s %-10s %8s %8s %7s %7s  %-24s %-6s %s%n";
            out.printf(Locale.ROOT, row, "DATASET", "NIGHT", "RUN", "STATUS", "EXPORTED", "REJECTED", "MISSING", "TOTAL",
                    "SPLITS", "GATE", "EXPORT");
            for (DatasetAudit.Night n : ctx.getBean(DatasetAudit.class).nights(dataset, limit)) {
                out.printf(Locale.ROOT, row, n.dataset(), n.night(), n.run(), n.status().text(), n.itemsExported(),
                        n.itemsRejected(), n.itemsMissing(), n.itemsTotal(), DatasetShowCommand.splits(n),
                        DatasetShowCommand.gate(n), n.exportDir() == null ? "-" : n.exportDir());
            }
        }
        return 0;
    }
}
