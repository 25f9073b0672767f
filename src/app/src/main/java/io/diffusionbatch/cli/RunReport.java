package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStats;
import io.diffusionbatch.ledger.RunStatsStore;

import io.diffusionbatch.output.OutputRoot;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Text tables of runs for {@code runs}, {@code show} and the end of {@code demo}. Stateless. */
final class RunReport {

    private RunReport() {
    }

    static void list(List<RequestRow> rows, PrintStream out) {
        out.printf(Locale.ROOT, "%-6s %-24s %-12s %-12s %8s %8s %-20s%n", "RUN", "REQUEST", "MODEL", "STATUS", "ITEMS",
                "PRIORITY", "ACCEPTED");
        for (RequestRow r : rows) {
            out.printf(Locale.ROOT, "%-6d %-24s %-12s %-12s %8d %8d %-20s%n", r.id(), clip(r.clientRequestId(), 24),
                    clip(r.model(), 12), r.status(), r.itemCount(), r.priority(),
                    r.acceptedAt().toString().substring(0, 19).replace('T', ' '));
        }
    }

    static void show(RequestRow r, OutputRoot root, ItemStore items, RunStatsStore stats, QualityStore quality,
                     EventStore events, PrintStream out) {
        out.println("run        " + r.id() + "  (request " + r.clientRequestId() + ", from " + r.source() + ")");
        out.println("model      " + r.model() + " (" + r.kind() + ")");
        out.println("status     " + r.status() + (r.message() == null ? "" : " — " + r.message()));
        out.println("priority   " + r.priority());
        out.println("accepted   " + r.acceptedAt() + (r.startedAt() == null ? "" : "; started " + r.startedAt())
                + (r.finishedAt() == null ? "" : "; finished " + r.finishedAt()));
        Map<ItemStatus, Long> counts = items.countByStatus(r.id());
        out.println("items      " + r.itemCount() + " " + counts);
        out.println("outputs    " + root.shown(r.id(), r.outputDir()));
        stats.find(r.id()).ifPresent(s -> summary(s, out));
        quality.find(r.id()).ifPresent(q -> quality(q, out));
        out.println("events");
        for (EventStore.Event e : events.of(r.id())) {
            out.println("  " + e.at() + "  " + e.type() + "  " + e.detailJson());
        }
        out.println("request    " + r.spec());
    }

    static void summary(RunStats s, PrintStream out) {
        long n = Math.max(1, s.itemsDone());
        double busy = s.tokenizeSeconds() + s.textEncodeSeconds() + s.denoiseSeconds() + s.decodeSeconds() + s.writeSeconds();
        out.printf(Locale.ROOT, "%-22s %s%n", "figure", "value");
        row(out, "items done/failed/cancelled", s.itemsDone() + " / " + s.itemsFailed() + " / " + s.itemsCancelled());
        row(out, "wall time (generate)", fmt("%.2f s", s.wallSeconds()));
        row(out, "throughput", fmt("%.2f items/s", s.itemsPerSecond()));
        row(out, "NFE per item", fmt("%.1f", (double) s.totalNfe() / n));
        row(out, "GFLOPs per item", fmt("%.3f", s.totalFlops() / n / 1e9));
        row(out, "s per item (engine)", fmt("%.4f", busy / n));
        row(out, "  tokenize", fmt("%.4f", s.tokenizeSeconds() / n));
        row(out, "  text encode", fmt("%.4f", s.textEncodeSeconds() / n));
        row(out, "  denoise", fmt("%.4f", s.denoiseSeconds() / n));
        row(out, "  decode", fmt("%.4f", s.decodeSeconds() / n));
        row(out, "  write", fmt("%.4f", s.writeSeconds() / n));
        row(out, "expand (COPY items)", fmt("%.3f s", s.expandSeconds()));
        row(out, "energy", s.energyJoules() == null ? "not measured" : fmt("%.1f J (%s)", s.energyJoules(), s.energySource()));
    }

    static void quality(QualityStore.RunQualityRow q, PrintStream out) {
        row(out, "quality (evaluator)", q.evaluator());
        row(out, "  outputs read", q.assessed() + (q.unreadable() > 0 ? " (" + q.unreadable() + " unreadable)" : ""));
        row(out, "  adherence", q.adherence() == null ? "no prompt is a caption the evaluator checks"
                : fmt("%.1f %% (%d of %d captions)", 100 * q.adherence(), q.adherent(), q.labelled()));
        row(out, "  FID", q.fid() == null ? "not computed (needs >= 2 single-object images)"
                : fmt("%.3f (n = %d, vs the evaluator's real-image statistics)", q.fid(), q.fidItems()));
        row(out, "  by group", q.byGroupJson());
    }

    private static void row(PrintStream out, String name, String value) {
        out.printf(Locale.ROOT, "  %-28s %s%n", name, value);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static Optional<Long> runId(String s) {
        try {
            return Optional.of(Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
