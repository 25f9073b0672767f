package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code report RUN [--format md|csv|json]}: a run's figures in the survey's style. Figures not
 * measured are printed as {@code n/a}. One instance per command line; not thread-safe.
 */
@Command(name = "report", sortOptions = false,
        description = {"A run's efficiency and quality figures (md, csv or json).",
                "Figures: model, sampler, steps, NFE, s/sample, samples/s, params, FLOPs, device, "
                + "energy, CO2, FID, adherence. Figures not measured are n/a."})
final class ReportCommand extends PlatformCommand {

    private static final JsonMapper JSON = Json.MAPPER;

    @Parameters(paramLabel = "RUN", description = "Run id (a number, as 'runs' lists them).")
    private String run;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "md", completionCandidates = Candidates.ReportFormats.class,
            description = "${COMPLETION-CANDIDATES}: a markdown table, CSV with a header, or a JSON object "
                    + "(default: ${DEFAULT-VALUE}).")
    private String format;

    private final PrintStream out;

    ReportCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        if (!Set.of("md", "csv", "json").contains(format)) {
            throw usage("--format: must be md, csv or json, was '" + format + "'");
        }
        long id = runId(run);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            report(figures(ctx, id, this), format);
        }
        return 0;
    }

    /** A run's figures, or a usage error of the command when the run does not exist or has no finished items. */
    static RunFigures figures(ConfigurableApplicationContext ctx, long id, PlatformCommand command) {
        return ctx.getBean(RunFiguresReader.class).read(id).orElseThrow(() -> command.usage("RUN: run " + id
                + " does not exist or has no finished items"));
    }

    private void report(RunFigures f, String format) {
        Map<String, Object> c = f.columns();
        switch (format) {
            case "json" -> out.println(JSON.writeValueAsString(c));
            case "csv" -> {
                out.println(String.join(",", c.keySet()));
                out.println(String.join(",", c.values().stream().map(ReportCommand::csv).toList()));
            }
            default -> {
                out.println("| " + String.join(" | ", c.keySet()) + " |");
                out.println("|" + "---|".repeat(c.size()));
                out.println("| " + String.join(" | ", c.values().stream().map(ReportCommand::text).toList()) + " |");
            }
        }
    }

    /** A figure as text: {@code n/a} when not measured, doubles with four significant digits (one decimal from 100). */
    static String text(Object v) {
        if (v == null) {
            return "n/a";
        }
        if (v instanceof Double d) {
            return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.4g", d);
        }
        return v.toString();
    }

    private static String csv(Object v) {
        String s = v == null ? "" : v instanceof Double ? text(v) : v.toString();
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
