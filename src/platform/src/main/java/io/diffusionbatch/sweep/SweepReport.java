package io.diffusionbatch.sweep;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.chart.SvgChart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The quality-vs-cost view of a sweep's finished runs: a markdown table in the survey's style
 * (with each run's place on the FID and adherence Pareto fronts), the same as CSV, and an SVG plot
 * of FID and adherence against NFE per sample (log scale), one series per sampler, with the FID
 * front drawn. Immutable and thread-safe.
 */
public final class SweepReport {

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

    /**
     * Two panels (FID from 0, adherence in percent over 0–100 %) against NFE per sample on a log
     * axis, one colour per sampler, the FID front as a dashed line; drawn with {@link SvgChart}.
     */
    public String svg(String title) {
        int w = 900;
        int h = 400;
        List<String> samplers = new ArrayList<>();
        for (RunFigures r : runs) {
            if (!samplers.contains(r.sampler())) {
                samplers.add(r.sampler());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">%s</text>%n",
                w / 2, SvgChart.escape(title)));
        sb.append(SvgChart.scatter(panel(samplers, true), 0, 30, w / 2, h - 60)).append('\n');
        sb.append(SvgChart.scatter(panel(samplers, false), w / 2, 30, w / 2, h - 60)).append('\n');
        sb.append(SvgChart.legend(samplers, "Pareto front (FID)", 64, h - 12)).append('\n');
        return sb.append("</svg>\n").toString();
    }

    private SvgChart.Scatter panel(List<String> samplers, boolean fid) {
        List<RunFigures> measured = runs.stream().filter(r -> (fid ? r.fid() : r.adherence()) != null && r.nfe() > 0).toList();
        List<SvgChart.Series> series = new ArrayList<>();
        for (String sampler : samplers) {
            List<SvgChart.Point> points = new ArrayList<>();
            for (RunFigures r : measured) {
                if (r.sampler().equals(sampler)) {
                    double v = fid ? r.fid() : 100 * r.adherence();
                    points.add(new SvgChart.Point(r.nfe(), v, String.format(Locale.ROOT, "%s %d steps: NFE %.0f, %s",
                            r.sampler(), r.steps(), r.nfe(), fid ? String.format(Locale.ROOT, "FID %.3f", v)
                                    : String.format(Locale.ROOT, "adherence %.1f %%", v))));
                }
            }
            series.add(new SvgChart.Series(sampler, points));
        }
        List<SvgChart.Point> front = fid ? ParetoFront.of(points(measured, true), true).stream()
                .map(p -> new SvgChart.Point(p.cost(), p.quality(), "run " + p.label())).toList() : List.of();
        SvgChart.Axis x = SvgChart.Axis.log("NFE per sample (log scale)");
        SvgChart.Axis y = fid ? SvgChart.Axis.from("FID (lower is better)", 0)
                : SvgChart.Axis.fixed("adherence (higher is better)", 0, 100, " %");
        return new SvgChart.Scatter(x, y, series, front);
    }

    private static String opt(Double v, String f) {
        return v == null ? "n/a" : String.format(Locale.ROOT, f, v);
    }
}
