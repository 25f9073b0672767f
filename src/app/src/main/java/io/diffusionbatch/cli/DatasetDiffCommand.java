package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatasetAudit;
import io.diffusionbatch.ledger.DatasetAudit.Capped;
import io.diffusionbatch.ledger.DatasetAudit.ItemPair;
import io.diffusionbatch.ledger.DatasetAudit.Night;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code dataset diff A B}: two nights side by side (counts, quality, cost) and what differs between their items:
 * prompts only one has, items of the same prompt and seed whose outputs differ, items one export left out and the
 * other did not. One instance per command line; not thread-safe.
 */
@Command(name = "diff", sortOptions = false,
        description = {"Two dataset nights side by side, and the items that differ.",
                "Counts, quality and cost side by side; prompts only in A or B; items (same prompt and seed) whose "
                + "output SHA-256 differs, or left out of one export only. Listings show the first "
                + DatasetDiffCommand.FIRST + " with their totals. A and B take the forms of 'dataset show' ID."})
final class DatasetDiffCommand extends PlatformCommand {

    /** Rows shown of each listing. */
    static final int FIRST = 20;

    @Parameters(index = "0", paramLabel = "A", description = "The first night (run id, request id or NAME/YYYY-MM-DD).")
    private String a;

    @Parameters(index = "1", paramLabel = "B", description = "The second night.")
    private String b;

    private final PrintStream out;

    DatasetDiffCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        DatasetShowCommand.checkForm(a, "A", this);
        DatasetShowCommand.checkForm(b, "B", this);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            DatasetAudit audit = ctx.getBean(DatasetAudit.class);
            Night na = DatasetShowCommand.night(audit, a, "A", this);
            Night nb = DatasetShowCommand.night(audit, b, "B", this);
            RunFiguresReader figures = ctx.getBean(RunFiguresReader.class);
            sideBySide(na, nb, figures.read(na.run()).map(RunFigures::columns).orElse(Map.of()),
                    figures.read(nb.run()).map(RunFigures::columns).orElse(Map.of()));
            listing("prompts only in A", audit.promptsOnlyIn(na.run(), nb.run(), FIRST), p -> p);
            listing("prompts only in B", audit.promptsOnlyIn(nb.run(), na.run(), FIRST), p -> p);
            listing("outputs that differ (same prompt and seed; A's SHA-256 vs B's)",
                    audit.outputsDiffer(na.run(), nb.run(), FIRST), DatasetDiffCommand::pair);
            listing("left out of one export only (same prompt and seed)",
                    audit.exclusionsDiffer(na.run(), nb.run(), FIRST), DatasetDiffCommand::pair);
        }
        return 0;
    }

    private void sideBySide(Night na, Night nb, Map<String, Object> fa, Map<String, Object> fb) {
        out.printf(Locale.ROOT, "| | A: %s %s (run %d) | B: %s %s (run %d) |%n", na.dataset(), na.night(), na.run(),
                nb.dataset(), nb.night(), nb.run());
        out.println("|---|---|---|");
        row("spec", na.spec(), nb.spec());
        row("status", na.status().text(), nb.status().text());
        row("items", na.itemsTotal(), nb.itemsTotal());
        row("exported", na.itemsExported(), nb.itemsExported());
        row("rejected", na.itemsRejected(), nb.itemsRejected());
        row("missing", na.itemsMissing(), nb.itemsMissing());
        TreeSet<String> splits = new TreeSet<>(na.splits().keySet());
        splits.addAll(nb.splits().keySet());
        for (String s : splits) {
            row("split " + s, na.splits().getOrDefault(s, 0L), nb.splits().getOrDefault(s, 0L));
        }
        row("gate", DatasetShowCommand.gate(na), DatasetShowCommand.gate(nb));
        row("rejected share", share(na), share(nb));
        for (String k : List.of("adherence", "FID")) {
            row(k, ReportCommand.text(fa.get(k)), ReportCommand.text(fb.get(k)));
        }
        for (String k : DatasetShowCommand.COST) {
            row(k, ReportCommand.text(fa.get(k)), ReportCommand.text(fb.get(k)));
        }
    }

    private void row(String name, Object a, Object b) {
        out.printf(Locale.ROOT, "| %s | %s | %s |%n", name, a, b);
    }

    private static String share(Night n) {
        return Double.isNaN(n.rejectedShare()) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * n.rejectedShare());
    }

    private static String pair(ItemPair p) {
        return String.format(Locale.ROOT, "A #%d / B #%d seed %d \"%s\": %s vs %s", p.indexA(), p.indexB(), p.seed(),
                p.prompt(), p.a() == null ? "none" : p.a(), p.b() == null ? "none" : p.b());
    }

    private <T> void listing(String title, Capped<T> rows, Function<T, String> line) {
        out.println();
        out.println(title + ": " + rows.total() + (rows.total() > rows.first().size()
                ? " (the first " + rows.first().size() + " shown)" : ""));
        rows.first().forEach(r -> out.println("  " + line.apply(r)));
    }
}
