package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.LedgerFiller;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code dashboard-bench}: the dashboard at scale (issue 14). {@code --fill-items N} first fills the
 * ledger with {@code --fill-runs} finished runs of N items in all (client role: the Postgres of a
 * running serve, or local mode's alone); {@code --url} then times GETs of {@code --path}s of a running
 * dashboard, sequentially, and prints median, p95 and max per path as markdown rows. The two halves are
 * separate so that one filled ledger can be measured by servers of different versions. One instance per
 * command line; not thread-safe.
 */
@Command(name = "dashboard-bench", sortOptions = false,
        description = {"The dashboard at scale: fill the ledger with large runs, time its pages.",
                "--fill-items N writes N items in --fill-runs finished runs by SQL (no engine); --url times "
                + "--requests sequential GETs of each --path of a running dashboard (median, p95, max in ms)."})
final class DashboardBenchCommand extends PlatformCommand {

    @Option(names = "--fill-items", paramLabel = "N", defaultValue = "0",
            description = "Items to add to the ledger first, 0 = none (default: ${DEFAULT-VALUE}).")
    private long fillItems;

    @Option(names = "--fill-runs", paramLabel = "N", defaultValue = "2",
            description = "Runs the items are split into (default: ${DEFAULT-VALUE}).")
    private int fillRuns;

    @Option(names = "--url", paramLabel = "URL", description = "A running dashboard, e.g. http://127.0.0.1:8080.")
    private URI url;

    @Option(names = "--path", paramLabel = "PATH", split = ",", defaultValue = "/,/api/runs",
            description = "Paths to time, comma-separated (default: ${DEFAULT-VALUE}).")
    private List<String> paths;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "30",
            description = "Timed GETs per path, after 2 untimed (default: ${DEFAULT-VALUE}).")
    private int requests;

    private final PrintStream out;
    private final PrintStream err;

    DashboardBenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        String[] spring = springArgs();
        if (fillItems < 0 || fillRuns < 1 || requests < 1) {
            throw usage("--fill-items must be >= 0, --fill-runs and --requests >= 1");
        }
        if (fillItems == 0 && url == null) {
            throw usage("nothing to do: give --fill-items, --url or both");
        }
        if (fillItems > 0) {
            fill(spring);
        }
        if (url != null) {
            time();
        }
        return 0;
    }

    private void fill(String[] spring) {
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            LedgerFiller filler = ctx.getBean(LedgerFiller.class);
            long stamp = System.currentTimeMillis();
            for (int r = 0; r < fillRuns; r++) {
                long n = fillItems / fillRuns + (r < fillItems % fillRuns ? 1 : 0);
                long t = System.nanoTime();
                // a finished run: 90 % done, 1 % failed, the rest cancelled
                long run = filler.addFinishedRun("dashboard-bench-" + stamp + "-" + r, n, n * 9 / 10, n / 100);
                err.printf(Locale.ROOT, "run %d: %d items in %.1f s%n", run, n, (System.nanoTime() - t) / 1e9);
            }
            long t = System.nanoTime();
            filler.vacuumItems();
            err.printf(Locale.ROOT, "VACUUM (ANALYZE) items: %.1f s%n", (System.nanoTime() - t) / 1e9);
            out.println("ledger: " + filler.sizes());
        }
    }

    private void time() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        out.println("| path | requests | median ms | p95 ms | max ms |");
        out.println("|---|---|---|---|---|");
        for (String path : paths) {
            HttpRequest get = HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofMinutes(5)).GET().build();
            double[] ms = new double[requests];
            for (int i = -2; i < requests; i++) {
                long t = System.nanoTime();
                HttpResponse<byte[]> r = http.send(get, HttpResponse.BodyHandlers.ofByteArray());
                double took = (System.nanoTime() - t) / 1e6;
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("GET " + get.uri() + ": HTTP " + r.statusCode());
                }
                if (i >= 0) {
                    ms[i] = took;
                }
            }
            Arrays.sort(ms);
            out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f |%n", path, requests, percentile(ms, 0.5),
                    percentile(ms, 0.95), ms[ms.length - 1]);
        }
    }

    /** The nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
