package io.diffusionbatch.sweep;

import io.diffusionbatch.ledger.RunFigures;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The quality-vs-cost view of a sweep's finished runs: a markdown table in the survey's style
 * (with each run's place on the FID and adherence Pareto fronts), the same as CSV, and an SVG plot
 * of FID and adherence against NFE per sample (log scale), one series per sampler, with the FID
 * front drawn. Immutable and thread-safe.
 */
public final class SweepReport {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"};

    private final List<RunFigures> runs;
    private final Set<Long> fidFront;
    private final Set<Long> adherenceFront;

    /** @param runs the sweep's runs, in table order; not null */
    public SweepReport(List<RunFigures> runs) {
        this.runs = List.copyOf(runs);
        this.fidFront = frontRuns(points(runs, true), true);
        this.adherenceFront = frontRuns(points(runs, false), false);
    }

    /** Points (label = run id) of NFE against FID or adherence. */
    public static List<ParetoFront.Point> points(List<RunFigures> runs, boolean fid) {
        List<ParetoFront.Point> out = new ArrayList<>();
        for (RunFigures r : runs) {
            Double q = fid ? r.fid() : r.adherence();
            out.add(new ParetoFront.Point(Long.toString(r.run()), r.nfe(), q == null ? Double.NaN : q));
        }
        return out;
    }

    private static Set<Long> frontRuns(List<ParetoFront.Point> points, boolean lowerIsBetter) {
        return ParetoFront.of(points, lowerIsBetter).stream().map(p -> Long.parseLong(p.label())).collect(Collectors.toSet());
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| run | model | sampler | steps | NFE/sample | s/sample | samples/s | GFLOPs/sample | J/sample "
                + "| FID | adherence | Pareto (FID / adherence) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (RunFigures r : runs) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %d | %.0f | %.4f | %.2f | %.2f | %s | %s | %s | %s |%n",
                    r.run(), r.model(), r.sampler(), r.steps(), r.nfe(), r.secondsPerSample(), r.samplesPerSecond(),
                    r.flopsPerSample() / 1e9, opt(r.energyJoulesPerSample(), "%.3f"), opt(r.fid(), "%.3f"),
                    r.adherence() == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * r.adherence()),
                    (fidFront.contains(r.run()) ? "FID" : "") + (fidFront.contains(r.run()) && adherenceFront.contains(r.run())
                            ? " + " : "") + (adherenceFront.contains(r.run()) ? "adherence" : "")));
        }
        return sb.toString();
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("run,model,sampler,steps,nfe,s_per_sample,samples_per_s,gflops_per_sample,"
                + "joules_per_sample,fid,adherence,fid_front,adherence_front\n");
        for (RunFigures r : runs) {
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%b,%b%n", r.run(), r.model(), r.sampler(),
                    r.steps(), r.nfe(), r.secondsPerSample(), r.samplesPerSecond(), r.flopsPerSample() / 1e9,
                    r.energyJoulesPerSample() == null ? "" : r.energyJoulesPerSample(), r.fid() == null ? "" : r.fid(),
                    r.adherence() == null ? "" : r.adherence(), fidFront.contains(r.run()), adherenceFront.contains(r.run())));
        }
        return sb.toString();
    }

    /** Two panels (FID, adherence) against NFE per sample on a log axis; the FID front as a dashed line. */
    public String svg(String title) {
        int w = 900;
        int h = 380;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">%s</text>%n",
                w / 2, escape(title)));
        Map<String, String> colour = new LinkedHashMap<>();
        for (RunFigures r : runs) {
            colour.computeIfAbsent(r.sampler(), k -> COLOURS[colour.size() % COLOURS.length]);
        }
        panel(sb, 60, 40, 360, 280, true, colour);
        panel(sb, 500, 40, 360, 280, false, colour);
        int x = 60;
        for (Map.Entry<String, String> c : colour.entrySet()) {
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, h - 14, c.getValue(), x + 9, h - 10, escape(c.getKey())));
            x += 30 + 8 * c.getKey().length();
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\" "
                + "stroke-dasharray=\"5,4\"/><text x=\"%d\" y=\"%d\">Pareto front</text>%n", x, h - 14, x + 24, h - 14, x + 30, h - 10));
        return sb.append("</svg>\n").toString();
    }

    private void panel(StringBuilder sb, int x0, int y0, int pw, int ph, boolean fid, Map<String, String> colour) {
        List<RunFigures> measured = runs.stream().filter(r -> (fid ? r.fid() : r.adherence()) != null && r.nfe() > 0).toList();
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
                x0, y0, pw, ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">NFE per sample (log scale)</text>%n",
                x0 + pw / 2, y0 + ph + 32));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">%s</text>%n",
                x0 - 42, y0 + ph / 2, x0 - 42, y0 + ph / 2, fid ? "FID (lower is better)" : "adherence (higher is better)"));
        if (measured.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">not measured</text>%n",
                    x0 + pw / 2, y0 + ph / 2));
            return;
        }
        double lx0 = Math.floor(Math.log10(measured.stream().mapToDouble(RunFigures::nfe).min().orElseThrow()));
        double lx1 = Math.max(lx0 + 1, Math.ceil(Math.log10(measured.stream().mapToDouble(RunFigures::nfe).max().orElseThrow())));
        double y1v = fid ? niceMax(measured.stream().mapToDouble(RunFigures::fid).max().orElseThrow()) : 1;
        for (double d = lx0; d <= lx1 + 1e-9; d++) {
            double px = x0 + (d - lx0) / (lx1 - lx0) * pw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, y0, px, y0 + ph, px, y0 + ph + 15,
                    fmtTick(Math.pow(10, d))));
        }
        for (int i = 0; i <= 4; i++) {
            double v = y1v * i / 4;
            double py = y0 + ph - v / y1v * ph;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", x0, py, x0 + pw, py, x0 - 4, py + 4,
                    fid ? fmtTick(v) : Math.round(v * 100) + "%"));
        }
        if (fid) {
            List<ParetoFront.Point> front = ParetoFront.of(points(measured, true), true);
            StringBuilder path = new StringBuilder();
            for (ParetoFront.Point p : front) {
                path.append(String.format(Locale.ROOT, "%s%.1f,%.1f", path.isEmpty() ? "" : " ",
                        x0 + (Math.log10(p.cost()) - lx0) / (lx1 - lx0) * pw, y0 + ph - p.quality() / y1v * ph));
            }
            sb.append("<polyline fill=\"none\" stroke=\"black\" stroke-dasharray=\"5,4\" points=\"").append(path).append("\"/>\n");
        }
        for (RunFigures r : measured) {
            double v = fid ? r.fid() : r.adherence();
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"><title>%s %d steps: "
                            + "NFE %.0f, %s %.3f</title></circle>%n", x0 + (Math.log10(r.nfe()) - lx0) / (lx1 - lx0) * pw,
                    y0 + ph - Math.min(v, y1v) / y1v * ph, colour.get(r.sampler()), escape(r.sampler()),
                    r.steps(), r.nfe(), fid ? "FID" : "adherence", v));
        }
    }

    private static double niceMax(double v) {
        double step = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1e-9))));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * step >= v) {
                return m * step;
            }
        }
        return 10 * step;
    }

    private static String fmtTick(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2g", v);
    }

    private static String opt(Double v, String f) {
        return v == null ? "n/a" : String.format(Locale.ROOT, f, v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
