package io.diffusionbatch.web;

import io.diffusionbatch.audit.RunFigures;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.RunSummary;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import io.diffusionbatch.sweep.ParetoFront;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The page renderers, charts and the Pareto front, without a server. */
class DashboardPagesTest {

    private static RunFigures figures(long run, String model, String sampler, double nfe, Double fid, Double adherence) {
        return new RunFigures(run, model, sampler, (int) nfe / 2, nfe, 7.5, 4, 10, 0.5, 2.0, 1000, 3e9, "cpu",
                "CPUExecutionProvider", null, null, null, fid, adherence);
    }

    @Test
    void escapingCoversEveryHtmlMetacharacter() {
        assertThat(Html.esc("<script>alert('x')</script> & \"q\"")).isEqualTo(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        assertThat(Html.esc(null)).isEmpty();
        assertThat(Html.value(null)).isEqualTo("–");
        assertThat(Html.value(Double.NaN)).isEqualTo("–");
        assertThat(Html.value(0.123456)).isEqualTo("0.1235");
        assertThat(Html.value(1234.56)).isEqualTo("1234.6");
        assertThat(Html.value(42L)).isEqualTo("42");
    }

    /** Brute force: a point is on the front when no other point is at most as costly and strictly better, or cheaper and as good. */
    private static List<double[]> bruteForce(List<double[]> pts, boolean higherIsBetter) {
        List<double[]> out = new ArrayList<>();
        for (double[] p : pts) {
            boolean dominated = false;
            for (double[] q : pts) {
                double gp = higherIsBetter ? p[1] : -p[1];
                double gq = higherIsBetter ? q[1] : -q[1];
                if (q != p && q[0] <= p[0] && gq >= gp && (q[0] < p[0] || gq > gp)) {
                    dominated = true;
                }
            }
            if (!dominated) {
                out.add(p);
            }
        }
        out.sort((a, b) -> Double.compare(a[0], b[0]));
        return out;
    }

    @Test
    void paretoFrontEqualsTheBruteForceDefinitionOnRandomPoints() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            List<double[]> pts = new ArrayList<>();
            int n = 1 + rnd.nextInt(30);
            for (int i = 0; i < n; i++) {
                pts.add(new double[]{rnd.nextDouble() * 100, rnd.nextDouble() * 50});
            }
            for (boolean higher : new boolean[]{true, false}) {
                List<double[]> front = ParetoFront.of(pts, p -> p[0], p -> p[1], higher);
                assertThat(front).containsExactlyElementsOf(bruteForce(pts, higher));
            }
        }
    }

    @Test
    void paretoFrontByHandWithTiesAndMissingValues() {
        // (NFE, FID): lower FID is better
        List<double[]> pts = List.of(new double[]{20, 30}, new double[]{10, 40}, new double[]{10, 35},
                new double[]{40, 30}, new double[]{50, 12}, new double[]{30, Double.NaN}, new double[]{5, 80});
        List<double[]> front = ParetoFront.of(pts, p -> p[0], p -> p[1], false);
        assertThat(front).extracting(p -> p[0] + "/" + p[1]).containsExactly("5.0/80.0", "10.0/35.0", "20.0/30.0", "50.0/12.0");
    }

    @Test
    void barsAreProportionalToTheirValues() {
        String svg = Charts.bars(List.of(new Charts.Bar("a", 0.5), new Charts.Bar("b", 2.0), new Charts.Bar("c<", 0.0),
                new Charts.Bar("d", 1.5)), "s");
        Matcher m = Pattern.compile("<rect [^>]*width=\"([0-9.]+)\"[^>]*data-value=\"([0-9.]+)\"").matcher(svg);
        List<double[]> rects = new ArrayList<>();
        while (m.find()) {
            rects.add(new double[]{Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))});
        }
        assertThat(rects).hasSize(4);
        double[] expectedWidths = {75, 300, 0, 225}; // value / 2.0 * 300
        for (int i = 0; i < 4; i++) {
            assertThat(rects.get(i)[0]).isCloseTo(expectedWidths[i], within(0.01));
        }
        assertThat(svg).contains("c&lt;").doesNotContain("c<");
    }

    @Test
    void scatterPlacesPointsOnLinearAxes() {
        String svg = Charts.scatter(List.of(new Charts.Series("m · s", List.of(new Charts.Point(0, 1, "p0"),
                new Charts.Point(10, 3, "p1")))), "NFE", "FID");
        // x: [0, 10.5] → [LEFT, LEFT + pw]; y: [1 - 0.1, 3 + 0.1] → [TOP + ph, TOP]
        int pw = Charts.W - Charts.LEFT - Charts.RIGHT;
        int ph = Charts.H - Charts.TOP - Charts.BOTTOM;
        double x1 = Charts.LEFT + 10 / 10.5 * pw;
        double y1 = Charts.TOP + ph - (3 - 0.9) / 2.2 * ph;
        assertThat(svg).contains("cx=\"" + Charts.f(x1) + "\" cy=\"" + Charts.f(y1) + "\"");
        assertThat(svg).contains("cx=\"" + Charts.f(Charts.LEFT) + "\" cy=\"" + Charts.f(Charts.TOP + ph - 0.1 / 2.2 * ph) + "\"");
    }

    @Test
    void axisTicksHaveThreeSignificantDigits() {
        assertThat(Charts.tick(0)).isEqualTo("0");
        assertThat(Charts.tick(84.0)).isEqualTo("84");
        assertThat(Charts.tick(21.58)).isEqualTo("21.6");
        assertThat(Charts.tick(0.91084)).isEqualTo("0.911");
        assertThat(Charts.tick(1250)).isEqualTo("1.25e+03");
    }

    @Test
    void qualityPageSaysWhenNothingWasMeasured() {
        String html = Pages.quality(List.of(figures(1, "m", "ddim", 40, null, null)));
        assertThat(html).contains("no measured runs yet").doesNotContain("<svg");
    }

    @Test
    void qualityPageDrawsOneSeriesPerModelAndSamplerAndTheFront() {
        List<RunFigures> runs = List.of(
                figures(1, "shapes-ldm", "ddim", 20, 30.0, 0.80),
                figures(2, "shapes-ldm", "ddim", 40, 25.0, 0.85),
                figures(3, "shapes-ldm", "dpmpp-2m", 20, 22.0, 0.90),
                figures(4, "shapes-pixel", "ddim", 80, 40.0, null),
                figures(5, "shapes-ldm", "<euler>", 10, null, null),
                figures(6, "shapes-ldm", "ddim", 60, 30.0, 0.95));
        String html = Pages.quality(runs);
        String fidChart = section(html, "<div id=\"chart-fid\">", "</div>");
        assertThat(count(fidChart, "<circle")).isEqualTo(5 + 3); // points + legend entries
        assertThat(fidChart).contains("shapes-ldm · ddim").contains("shapes-ldm · dpmpp-2m").contains("shapes-pixel · ddim");
        // FID front (lower better): run 3 (NFE 20, 22) dominates 1, 2 and 4
        String fidFront = section(html, "<table id=\"pareto-fid\">", "</table>");
        assertThat(count(fidFront, "<tr>")).isEqualTo(2);
        assertThat(fidFront).contains("href=\"/runs/3\"");
        assertThat(fidChart).as("a front of one point is no line").doesNotContain("<polyline");
        String adhChart = section(html, "<div id=\"chart-adherence\">", "</div>");
        assertThat(count(adhChart, "<circle")).isEqualTo(4 + 2);
        // adherence front (higher better): run 3 (NFE 20, 0.90), then run 6 (NFE 60, 0.95), drawn as a line
        String adhFront = section(html, "<table id=\"pareto-adherence\">", "</table>");
        assertThat(count(adhFront, "<tr>")).isEqualTo(3);
        assertThat(adhFront.indexOf("/runs/3")).isLessThan(adhFront.indexOf("/runs/6"));
        Matcher line = Pattern.compile("<polyline[^>]*points=\"([^\"]*)\"").matcher(adhChart);
        assertThat(line.find()).isTrue();
        assertThat(line.group(1).trim().split(" ")).hasSize(2);
        assertThat(html).doesNotContain("<euler>");
    }

    @Test
    void runPageRendersEveryFigureColumnAndMissingOnesAsADash() {
        RunSummary r = new RunSummary(7, "req<1>", "running", "tiny", "ddim", 6, 100, 30, 1, 0, Instant.EPOCH, null, null,
                "/out/x");
        RunFigures f = figures(7, "tiny", "ddim", 12, null, null);
        String html = Pages.run(r, java.util.Optional.of(f), new DashboardStore.StageTimes(30, 0.001, 0.002, 0.05, 0.01, 0.004),
                List.of(new DashboardStore.SheetCell(48, "done", "a <b>", 3, "image/png"),
                        new DashboardStore.SheetCell(49, "pending", "x", 4, null)), 2);
        String table = section(html, "<table id=\"figures\">", "</table>");
        for (String column : f.columns().keySet()) {
            assertThat(table).contains("<th>" + Html.esc(column) + "</th>");
        }
        assertThat(table).contains("data-figure=\"FID\">–<").contains("data-figure=\"adherence\">–<")
                .contains("data-figure=\"J/sample\">–<");
        assertThat(html).contains("req&lt;1&gt;").contains("30 / 100").contains("page 2 of 3")
                .contains("href=\"/runs/7?page=1\"").contains("href=\"/runs/7?page=3\"")
                .contains("src=\"/files/7/48\"").doesNotContain("a <b>");
        assertThat(count(section(html, "<svg", "</svg>"), "<rect")).isEqualTo(5);
    }

    private static String section(String html, String start, String end) {
        int a = html.indexOf(start);
        assertThat(a).as("has " + start).isGreaterThanOrEqualTo(0);
        return html.substring(a, html.indexOf(end, a) + end.length());
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
