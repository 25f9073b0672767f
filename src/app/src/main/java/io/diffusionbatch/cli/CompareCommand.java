package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code compare RUN1 RUN2}: two runs' figures side by side with the ratio RUN2 / RUN1 of every
 * number. One instance per command line; not thread-safe.
 */
@Command(name = "compare", sortOptions = false,
        description = {"Two runs' figures side by side with the ratio of each figure.",
                "A markdown table with the ratio RUN2 / RUN1 of each number."})
final class CompareCommand extends PlatformCommand {

    @Parameters(index = "0", paramLabel = "RUN1", description = "The first run's id.")
    private String run1;

    @Parameters(index = "1", paramLabel = "RUN2", description = "The second run's id.")
    private String run2;

    private final PrintStream out;

    CompareCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        List<Long> ids = new ArrayList<>();
        for (String p : List.of(run1, run2)) {
            ids.add(runId(p));
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            RunFigures a = ReportCommand.figures(ctx, ids.get(0), this);
            RunFigures b = ReportCommand.figures(ctx, ids.get(1), this);
            compare(a, b);
        }
        return 0;
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
            out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", k, ReportCommand.text(x), ReportCommand.text(y), ratio);
        }
    }
}
