package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reproduce RUN/INDEX | RUN [--out DIR]}: makes the item (or every written item of the run)
 * again from the rows and compares SHA-256 with the stored output; exit 0 only when all match.
 * One instance per command line; not thread-safe.
 */
@Command(name = "reproduce", sortOptions = false,
        description = {"Make items again from their rows and compare SHA-256 with the stored outputs.",
                "Makes the items again from their rows alone and compares the SHA-256 of each new file with the "
                + "stored output's."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every item reproduced bit for bit", "1:at least one item differs", "2:bad usage or no such item"})
final class ReproduceCommand extends PlatformCommand {

    @Parameters(paramLabel = "ITEM|RUN", description = "RUN/INDEX for one item, or RUN for every written item of the run.")
    private String arg;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the new files (default: a new temporary folder).")
    private Path scratch;

    private final PrintStream out;

    ReproduceCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            ItemAudit audit = ctx.getBean(ItemAudit.class);
            Path dir = scratch != null ? scratch : tempDir();
            List<ItemRef> refs;
            if (arg.contains("/")) {
                refs = List.of(ItemCommand.ref(arg, this));
            } else {
                long run = RunReport.runId(arg).orElseThrow(() -> usage(
                        "RUN: must be a run id or RUN/INDEX, was '" + arg + "'"));
                refs = audit.writtenItems(run).stream().map(i -> new ItemRef(run, i)).toList();
            }
            if (refs.isEmpty()) {
                throw usage("RUN: run " + arg + " has no written items");
            }
            Reproducer reproducer = ctx.getBean(Reproducer.class);
            int matched = 0;
            for (ItemRef ref : refs) {
                Reproducer.Result res;
                try {
                    res = reproducer.reproduce(ref, dir);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
                matched += res.matches() ? 1 : 0;
                out.println(ref + "  " + (res.matches() ? "match   " : "DIFFERS ") + res.newSha256()
                        + (res.matches() ? "" : " (stored " + res.storedSha256() + ")")
                        + (res.modelMatches() ? "" : "  [model files changed since]"));
            }
            out.println(matched + " of " + refs.size() + " items reproduced bit for bit (files in " + dir + ")");
            return matched == refs.size() ? 0 : 1;
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("reproduce-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
