package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code report RUN [--format md|csv|json]}: a run's figures in the survey's style.
 * {@code compare RUN1 RUN2}: both side by side with the ratio RUN2 / RUN1 of every number.
 * Figures not measured are printed as {@code n/a}. Not thread-safe.
 */
final class ReportCommand {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final PrintStream out;

    ReportCommand(PrintStream out) {
        this.out = out;
    }

    int run(String command, String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options o = Options.parse(split.own(), Set.of("format"), Set.of());
        int wanted = command.equals("compare") ? 2 : 1;
        if (o.positional().size() != wanted) {
            throw new UsageException(command + ": needs " + (wanted == 2 ? "two run ids: RUN1 RUN2" : "one run id: RUN"));
        }
        String format = o.string("format", "md");
        if (!Set.of("md", "csv", "json").contains(format)) {
            throw new UsageException("--format: must be md, csv or json, was '" + format + "'");
        }
        List<Long> ids = new ArrayList<>();
        for (String p : o.positional()) {
            ids.add(RunReport.runId(p).orElseThrow(() -> new UsageException("RUN: must be a run id, was '" + p + "'")));
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", split.spring())) {
            RunFiguresReader reader = ctx.getBean(RunFiguresReader.class);
            List<RunFigures> figures = new ArrayList<>();
            for (long id : ids) {
                figures.add(reader.read(id).orElseThrow(() -> new UsageException("RUN: run " + id
                        + " does not exist or has no finished items")));
            }
            if (command.equals("compare")) {
                compare(figures.get(0), figures.get(1));
            } else {
                report(figures.get(0), format);
            }
        }
        return 0;
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

    private void compare(RunFigures a, RunFigures b) {
        out.printf(Locale.ROOT, "| figure | run %d | run %d | %d / %d |%n", a.run(), b.run(), b.run(), a.run());
        out.println("|---|---|---|---|");
        Map<String, Object> ca = a.columns();
        Map<String, Object> cb = b.columns();
        for (String k : ca.keySet()) {
            if (k.equals("run")) {
                continue;
            }
            Object x = ca.get(k);
            Object y = cb.get(k);
            String ratio = x instanceof Number nx && y instanceof Number ny && nx.doubleValue() != 0
                    ? String.format(Locale.ROOT, "%.3f", ny.doubleValue() / nx.doubleValue()) : "";
            out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", k, text(x), text(y), ratio);
        }
    }

    private static String text(Object v) {
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
