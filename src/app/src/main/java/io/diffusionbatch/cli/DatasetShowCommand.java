package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatasetAudit;
import io.diffusionbatch.ledger.DatasetAudit.Night;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code dataset show ID}: one night of a dataset as the ledger holds it: status, counts, exclusions, the run's
 * cost and quality, where its export and card are. One instance per command line; not thread-safe.
 */
@Command(name = "show", sortOptions = false,
        description = {"One dataset night: spec, status, counts per split, exclusions, cost, quality and its card.",
                "ID is a run id, a request id (dataset:NAME:YYYY-MM-DD:HASH12) or NAME/YYYY-MM-DD (that night's "
                + "latest request)."})
final class DatasetShowCommand extends PlatformCommand {

    /** The run figures shown as a night's cost, by their {@link RunFigures#columns()} names. */
    static final List<String> COST = List.of("NFE", "GFLOPs/sample", "s/sample", "J/sample", "gCO2/1k samples");

    /** Exclusion details shown per reason. */
    private static final int DETAILS = 5;

    private static final Pattern NAME_NIGHT = Pattern.compile("([a-z0-9][a-z0-9-]{0,62})/(\\d{4}-\\d{2}-\\d{2})");

    @Parameters(paramLabel = "ID", description = "The night: a run id, a request id dataset:... or NAME/YYYY-MM-DD.")
    private String id;

    private final PrintStream out;

    DatasetShowCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        checkForm(id, "ID", this);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            DatasetAudit audit = ctx.getBean(DatasetAudit.class);
            Night n = night(audit, id, "ID", this);
            show(n, audit, ctx.getBean(RunFiguresReader.class).read(n.run()), ctx.getBean(QualityStore.class),
                    ctx.getBean(OutputRoot.class));
        }
        return 0;
    }

    private void show(Night n, DatasetAudit audit, Optional<RunFigures> figures, QualityStore quality, OutputRoot root) {
        row("night", n.dataset() + " " + n.night() + " (run " + n.run() + ", request " + n.requestId() + ")");
        row("spec", n.spec());
        row("status", n.status().text() + (n.message() == null ? "" : " — " + n.message()));
        row("items", n.itemsTotal() + ": " + n.itemsExported() + " exported, " + n.itemsRejected() + " rejected, "
                + n.itemsMissing() + " missing");
        row("splits", splits(n));
        row("gate", gate(n) + (Double.isNaN(n.rejectedShare()) ? "" : String.format(Locale.ROOT,
                " (rejected share %.1f %%)", 100 * n.rejectedShare())));
        for (DatasetAudit.Exclusions e : audit.exclusions(n.run(), DETAILS)) {
            row("excluded", e.reason() + ": " + e.count());
            e.first().forEach(d -> out.println("             " + d));
            if (e.count() > e.first().size()) {
                out.println("             … and " + (e.count() - e.first().size()) + " more");
            }
        }
        Map<String, Object> f = figures.map(RunFigures::columns).orElse(Map.of());
        row("cost", COST.stream().map(k -> k + " " + ReportCommand.text(f.get(k)))
                .collect(Collectors.joining(", ")));
        int fidImages = quality.find(n.run()).map(QualityStore.RunQualityRow::fidItems).orElse(0);
        row("quality", "adherence " + ReportCommand.text(f.get("adherence")) + ", FID " + ReportCommand.text(f.get("FID"))
                + (f.get("FID") == null ? "" : " (n = " + fidImages + ")"));
        if (n.exportDir() != null) {
            row("export", root.shown(n.run(), n.exportDir()));
            row("card", root.shown(n.run(), n.exportDir() + "/README.md") + "  (sha256 " + n.cardSha256() + ")");
        }
    }

    private void row(String name, String value) {
        out.printf(Locale.ROOT, "%-12s %s%n", name, value);
    }

    /** {@code train 54, validation 6}, or {@code -} before the export. */
    static String splits(Night n) {
        return n.splits().isEmpty() ? "-" : n.splits().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** {@code passed}, {@code failed}, or {@code -} before the export. */
    static String gate(Night n) {
        return n.gatePassed() == null ? "-" : n.gatePassed() ? "passed" : "failed";
    }

    /**
     * Checks the form of a night's ID before anything starts.
     *
     * @throws picocli.CommandLine.ParameterException (exit code 2) naming {@code label} and the forms
     */
    static void checkForm(String id, String label, PlatformCommand command) {
        if (RunReport.runId(id).isEmpty() && !id.startsWith("dataset:") && !NAME_NIGHT.matcher(id).matches()) {
            throw command.usage(label + ": must be a run id (a number), a request id (dataset:NAME:YYYY-MM-DD:HASH12)"
                    + " or NAME/YYYY-MM-DD, was '" + id + "'");
        }
    }

    /**
     * The night an ID names.
     *
     * @throws picocli.CommandLine.ParameterException (exit code 2) naming {@code label} when there is none
     */
    static Night night(DatasetAudit audit, String id, String label, PlatformCommand command) {
        Optional<Long> run = RunReport.runId(id);
        Matcher m = NAME_NIGHT.matcher(id);
        Optional<Night> night = run.isPresent() ? audit.night(run.get())
                : m.matches() ? audit.latest(m.group(1), m.group(2)) : audit.night(id);
        return night.orElseThrow(() -> command.usage(label + ": no dataset night " + id));
    }
}
