package io.diffusionbatch.cli;

import io.diffusionbatch.engine.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on a stream (stderr), redrawn at most ten times a second. Not thread-safe. */
final class ProgressBar implements ProgressListener {

    private static final int WIDTH = 30;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private long lastDraw = start - 1_000_000_000L;
    private final String unit;
    private boolean open;

    ProgressBar(PrintStream out) {
        this(out, "steps");
    }

    /** @param unit what is counted, e.g. {@code steps} or {@code items} */
    ProgressBar(PrintStream out, String unit) {
        this.out = out;
        this.unit = unit;
    }

    @Override
    public void progress(long done, long total) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        out.print("\r" + render(done, total, (now - start) / 1e9, unit));
        open = done < total;
        if (!open) {
            out.println();
        }
        out.flush();
    }

    /** Ends the bar's line if a run stopped before it was full, so later messages start on their own line. */
    void end() {
        if (open) {
            out.println();
            open = false;
        }
    }

    static String render(long done, long total, double seconds) {
        return render(done, total, seconds, "steps");
    }

    static String render(long done, long total, double seconds, String unit) {
        double frac = total == 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(frac * WIDTH);
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 && done < total ? String.format(Locale.ROOT, " ETA %.0fs", (total - done) / rate) : "";
        return String.format(Locale.ROOT, "[%s%s] %3d%% %d/%d %s %.1f %s/s%s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), Math.round(frac * 100), done, total, unit, rate, unit, eta);
    }
}
