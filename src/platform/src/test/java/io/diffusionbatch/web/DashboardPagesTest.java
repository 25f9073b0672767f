package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.ledger.DashboardStore.QualityPoint;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.ledger.RunSummary;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.sweep.ParetoFront;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The pages as their templates render them from ledger values, and the Pareto front, without a server. */
class DashboardPagesTest {

    private static RunFigures figures(long run, String model, String sampler, double nfe, Double fid, Double adherence) {
        return new RunFigures(run, model, sampler, (int) nfe / 2, nfe, 7.5, 4, 10, 0.5, 2.0, 1000, 3e9, "cpu",
                "CPUExecutionProvider", null, null, null, fid, adherence);
    }

    private static QualityPoint point(long run, String model, String sampler, double nfe, Double fid, int fidItems,
                                      Double adherence) {
        return new QualityPoint(run, model, sampler, (int) nfe / 2, nfe, fid, fidItems, adherence, 100);
    }

    @Test
    void escapingCoversEveryHtmlMetacharacter() {
        assertThat(Templates.esc("<script>alert('x')</script> & \"q\" `=")).isEqualTo(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; &#x60;&#x3D;");
        assertThat(Format.figure(null)).isEqualTo("–");
        assertThat(Format.figure(Double.NaN)).isEqualTo("–");
        assertThat(Format.figure(0.123456)).isEqualTo("0.1235");
        assertThat(Format.figure(1234.56)).isEqualTo("1234.6");
        assertThat(Format.figure(42L)).isEqualTo("42");
        assertThat(Format.fid(12.3, 64)).isEqualTo("12.30 (n = 64, small sample)");
        assertThat(Format.fid(12.3, 499)).isEqualTo("12.30 (n = 499, small sample)");
        assertThat(Format.fid(12.3, 500)).isEqualTo("12.30 (n = 500)");
        assertThat(Format.fid(null, 0)).isEqualTo("–");
        assertThat(Format.percent(0.9)).isEqualTo("90.0 %");
        assertThat(Format.percent(null)).isEqualTo("–");
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
    void qualityPageSaysWhenNothingWasMeasured() {
        String html = Templates.render("dashboard/quality", Views.quality(List.of(point(1, "m", "ddim", 40, null, 0, null))));
        assertThat(html).contains("no measured runs yet").doesNotContain("<svg");
        assertThat(Templates.render("dashboard/quality", Views.quality(List.of()))).contains("no measured runs yet");
    }

    @Test
    void qualityPageDrawsOneSeriesPerModelAndSamplerAndTheFront() {
        List<QualityPoint> runs = List.of(
                point(1, "shapes-ldm", "ddim", 20, 30.0, 1000, 0.80),
                point(2, "shapes-ldm", "ddim", 40, 25.0, 1000, 0.85),
                point(3, "shapes-ldm", "dpmpp-2m", 20, 22.0, 1000, 0.90),
                point(4, "shapes-pixel", "ddim", 80, 40.0, 1000, null),
                point(5, "shapes-ldm", "<euler>", 10, null, 0, null),
                point(6, "shapes-ldm", "ddim", 60, 30.0, 1000, 0.95));
        String html = Templates.render("dashboard/quality", Views.quality(runs));
        String fidChart = section(html, "<div id=\"chart-fid\">", "</div>");
        assertThat(count(fidChart, "<circle")).isEqualTo(5); // one per measured run
        String fidLegend = section(html, "<ul class=\"legend\" id=\"legend-fid\">", "</ul>");
        assertThat(count(fidLegend, "<span class=\"swatch\" style=")).isEqualTo(3); // one per series
        assertThat(fidLegend).contains("shapes-ldm · ddim").contains("shapes-ldm · dpmpp-2m").contains("shapes-pixel · ddim")
                .doesNotContain("hollow");
        assertThat(fidChart).as("names stay out of the SVG: they are in the escaped legend").doesNotContain("shapes-ldm");
        // FID front (lower better): run 3 (NFE 20, 22) dominates 1, 2 and 4
        String fidFront = section(html, "<table id=\"pareto-fid\">", "</table>");
        assertThat(count(fidFront, "<tr>")).isEqualTo(2);
        assertThat(fidFront).contains("href=\"/runs/3\"").contains(">" + Templates.esc("22.00 (n = 1000)") + "<");
        assertThat(fidChart).as("a front of one point is no line").doesNotContain("<polyline");
        String adhChart = section(html, "<div id=\"chart-adherence\">", "</div>");
        assertThat(count(adhChart, "<circle")).isEqualTo(4);
        assertThat(count(section(html, "<ul class=\"legend\" id=\"legend-adherence\">", "</ul>"), "<span class=\"swatch\" style="))
                .isEqualTo(2);
        // adherence front (higher better): run 3 (NFE 20, 0.90), then run 6 (NFE 60, 0.95), drawn as a line
        String adhFront = section(html, "<table id=\"pareto-adherence\">", "</table>");
        assertThat(count(adhFront, "<tr>")).isEqualTo(3);
        assertThat(adhFront.indexOf("/runs/3")).isLessThan(adhFront.indexOf("/runs/6"));
        assertThat(adhFront).contains(">90.0 %<").contains(">95.0 %<");
        Matcher line = Pattern.compile("<polyline[^>]*points=\"([^\"]*)\"").matcher(adhChart);
        assertThat(line.find()).isTrue();
        assertThat(line.group(1).trim().split(" ")).hasSize(2);
        assertThat(html).doesNotContain("<euler>");
        // readable axes: NFE 10..80 on a log axis with 1/2/5 ticks; adherence in percent over the fixed 0–100 %
        for (String tick : new String[]{">10<", ">20<", ">50<", ">100<"}) {
            assertThat(fidChart).contains(tick);
        }
        for (String tick : new String[]{">0 %<", ">20 %<", ">40 %<", ">60 %<", ">80 %<", ">100 %<"}) {
            assertThat(adhChart).contains(tick);
        }
        // FID from 0 to 40 (the highest, 40, is a tick) in steps of 10
        for (String tick : new String[]{">0<", ">10<", ">20<", ">30<", ">40<"}) {
            assertThat(fidChart).contains(tick);
        }
        // every measured run in the table, FID with its number of images, adherence in percent
        String measured = section(html, "<table id=\"measured\">", "</table>");
        assertThat(count(measured, "<tr>")).isEqualTo(1 + 5);
        assertThat(measured).contains(">" + Templates.esc("40.00 (n = 1000)") + "<").contains(">80.0 %<").doesNotContain("/runs/5\"");
    }

    @Test
    void anFidOverFewerThan500ImagesIsASmallSampleInTheChartAndTheTables() {
        List<QualityPoint> runs = List.of(
                point(7, "shapes-ldm", "ddim", 10, 12.3, 64, 0.5),
                point(8, "shapes-ldm", "ddim", 20, 14.0, 500, 0.6));
        String html = Templates.render("dashboard/quality", Views.quality(runs));
        String fidChart = section(html, "<div id=\"chart-fid\">", "</div>");
        assertThat(count(fidChart, "class=\"point hollow\"")).isEqualTo(1);
        assertThat(count(fidChart, "class=\"point\"")).isEqualTo(1);
        assertThat(fidChart).contains("run 7 · 5 steps · NFE 10.00 · FID 12.30 (n = 64, small sample)");
        assertThat(section(html, "<ul class=\"legend\" id=\"legend-fid\">", "</ul>"))
                .contains("hollow: FID over fewer than 500 images (small sample");
        assertThat(section(html, "<table id=\"pareto-fid\">", "</table>"))
                .contains("<td class=\"num small-sample\">" + Templates.esc("12.30 (n = 64, small sample)") + "</td>");
        assertThat(section(html, "<table id=\"measured\">", "</table>"))
                .contains(">" + Templates.esc("12.30 (n = 64, small sample)") + "<")
                .contains(">" + Templates.esc("14.00 (n = 500)") + "<");
        assertThat(section(html, "<div id=\"chart-adherence\">", "</div>")).as("adherence has no FID sample size")
                .doesNotContain("hollow");
    }

    @Test
    void runPageListsEachWorkersClaimOfAPartitionInClusterModeAndNothingInLocalMode() {
        RunSummary r = new RunSummary(8, "req", RunStatus.RUNNING, "tiny", "ddim", 6, 100, 30, 1, 0, Instant.EPOCH, null,
                null, "runs/x");
        Views.RunPage page = Views.run(r, new OutputRoot(Path.of("/out")), Optional.empty(), 0,
                new DashboardStore.StageTimes(0, 0, 0, 0, 0, 0), List.of(), 1);
        Instant t = Instant.parse("2026-12-07T06:00:00Z");
        String html = Templates.render("dashboard/run", Map.of("p", page, "partitions", Views.partitions(List.of(
                new PartitionStore.Attempt(11, "generatePartition:partition0", 1, "w<1>:7:a", t, t.plusMillis(2500), "lost"),
                new PartitionStore.Attempt(11, "generatePartition:partition0", 2, "w2:8:b", t.plusSeconds(31), null, null)))));
        String table = section(html, "<table id=\"partitions\">", "</table>");
        assertThat(table).contains("<td>partition0</td>").contains("w&lt;1&gt;:7:a").contains(">2.5<")
                .contains("data-outcome=\"lost\"").contains("data-outcome=\"running\"");
        assertThat(count(table, "<tr>")).isEqualTo(3);
        assertThat(Views.partitions(List.of())).as("local mode: no section").isNull();
        assertThat(Templates.render("dashboard/run", page)).doesNotContain("id=\"partitions\"");
    }

    @Test
    void runPageRendersEveryFigureColumnAndMissingOnesAsADash() {
        RunSummary r = new RunSummary(7, "req<1>", RunStatus.RUNNING, "tiny", "ddim", 6, 100, 30, 1, 0, Instant.EPOCH, null, null,
                "runs/x");
        RunFigures f = figures(7, "tiny", "ddim", 12, null, null);
        String html = Templates.render("dashboard/run", Views.run(r, new OutputRoot(Path.of("/out")), Optional.of(f), 0,
                new DashboardStore.StageTimes(30, 0.001, 0.002, 0.05, 0.01, 0.004),
                List.of(new DashboardStore.SheetCell(48, ItemStatus.DONE, "a <b>", 3, "image/png"),
                        new DashboardStore.SheetCell(49, ItemStatus.PENDING, "x", 4, null)), 2));
        String table = section(html, "<table id=\"figures\">", "</table>");
        for (String column : f.columns().keySet()) {
            assertThat(table).contains("<th>" + Templates.esc(column) + "</th>");
        }
        assertThat(table).contains("data-figure=\"FID\">–<").contains("data-figure=\"adherence\">–<")
                .contains("data-figure=\"J/sample\">–<");
        assertThat(html).contains("req&lt;1&gt;").contains("30 / 100").contains("page 2 of 3")
                .contains("href=\"/runs/7?page=1\"").contains("href=\"/runs/7?page=3\"")
                .contains("src=\"/files/7/48\"").doesNotContain("a <b>").contains("data-run=\"7\"")
                .as("the run's folder on this instance").contains("<td>/out/runs/x</td>")
                .contains("<span class=\"cell\" title=\"#49 seed 4: x\">#49<br>pending</span>");
        assertThat(count(section(html, "<svg", "</svg>"), "<rect")).isEqualTo(5);
        RunSummary small = new RunSummary(8, "req", RunStatus.COMPLETED, "tiny", "ddim", 6, 10, 10, 0, 0, Instant.EPOCH, Instant.EPOCH,
                Instant.EPOCH, "y");
        String measured = Templates.render("dashboard/run", Views.run(small, new OutputRoot(Path.of("/out")), Optional.of(figures(8, "tiny", "ddim", 12, 12.3, 0.5)),
                64, new DashboardStore.StageTimes(0, 0, 0, 0, 0, 0), List.of(), 1));
        assertThat(measured).contains("data-figure=\"FID\">" + Templates.esc("12.30 (n = 64, small sample)") + "<")
                .contains("no written items yet").doesNotContain("page 1 of");
    }

    @Test
    void rejectedPageListsReasonsOrTheRawTextEscaped() {
        String html = Templates.render("dashboard/rejected", Views.rejected(List.of(
                new RejectionStore.Rejection(2, Instant.EPOCH, "kafka:requests/0@1", null, "not json <i>", 12),
                new RejectionStore.Rejection(1, Instant.EPOCH, "kafka:requests/0@0", "<b>x</b>",
                        "[{\"field\": \"model\", \"rule\": \"required\", \"message\": \"is <missing>\"}]", 30))));
        assertThat(html).contains("<span class=\"muted\">unreadable</span>").contains("<code>not json &lt;i&gt;</code>")
                .contains("&lt;b&gt;x&lt;/b&gt;").contains("<li><code>model</code> required: is &lt;missing&gt;</li>")
                .doesNotContain("<b>x").doesNotContain("<i>").doesNotContain("<missing>");
        assertThat(Templates.render("dashboard/rejected", Views.rejected(List.of()))).contains("no rejected inputs");
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
