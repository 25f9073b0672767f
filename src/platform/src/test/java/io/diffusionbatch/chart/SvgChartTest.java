package io.diffusionbatch.chart;

import io.diffusionbatch.chart.SvgChart.Axis;
import io.diffusionbatch.chart.SvgChart.Bar;
import io.diffusionbatch.chart.SvgChart.Marker;
import io.diffusionbatch.chart.SvgChart.Point;
import io.diffusionbatch.chart.SvgChart.Scatter;
import io.diffusionbatch.chart.SvgChart.Series;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.diffusionbatch.chart.SvgChart.BOTTOM;
import static io.diffusionbatch.chart.SvgChart.LEFT;
import static io.diffusionbatch.chart.SvgChart.RIGHT;
import static io.diffusionbatch.chart.SvgChart.TOP;
import static io.diffusionbatch.chart.SvgChart.f;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The SVG charts: positions worked out by hand, escaping, clipping, one point, no points. */
class SvgChartTest {

    private static final int W = 400;
    private static final int H = 300;
    private static final int PW = W - LEFT - RIGHT; // 320
    private static final int PH = H - TOP - BOTTOM; // 244

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(Document d, String tag) {
        NodeList n = d.getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < n.getLength(); i++) {
            out.add((Element) n.item(i));
        }
        return out;
    }

    private static List<String> texts(Document d, String cssClass) {
        return elements(d, "text").stream().filter(e -> e.getAttribute("class").equals(cssClass))
                .map(Element::getTextContent).toList();
    }

    @Test
    void pointsLandOnLinearAxesWithNiceTicks() throws Exception {
        // x from 0: ticks 0..10 by 2; y: [1, 3] → step 0.5, ends 1 and 3
        Scatter chart = new Scatter(Axis.from("NFE", 0), Axis.linear("FID"),
                List.of(new Series("a", List.of(new Point(0, 1, "p0"), new Point(10, 3, "p1"), new Point(5, 2, "p2")))),
                List.of());
        String svg = SvgChart.scatter(chart, W, H);
        Document d = parse(svg);
        assertThat(texts(d, "tick-x")).containsExactly("0", "2", "4", "6", "8", "10");
        assertThat(texts(d, "tick-y")).containsExactly("1.0", "1.5", "2.0", "2.5", "3.0");
        List<Element> points = elements(d, "circle");
        assertThat(points).hasSize(3);
        assertThat(points).extracting(e -> e.getAttribute("cx") + "," + e.getAttribute("cy")).containsExactly(
                f(LEFT) + "," + f(TOP + PH), f(LEFT + PW) + "," + f(TOP), f(LEFT + PW / 2.0) + "," + f(TOP + PH / 2.0));
        assertThat(points.get(0).getAttribute("fill")).isEqualTo(SvgChart.colour(0));
        assertThat(points.get(0).getTextContent()).isEqualTo("p0");
    }

    @Test
    void aLogAxisPlacesDecadesEvenly() throws Exception {
        // NFE 8 and 40 → ticks 1, 2, 5, 10, 20, 50, 100: two decades over the plot width
        Scatter chart = new Scatter(Axis.log("NFE per sample (log scale)"), Axis.fixed("adherence", 0, 100, " %"),
                List.of(new Series("a", List.of(new Point(8, 50, "p"), new Point(40, 100, "q")))), List.of());
        Document d = parse(SvgChart.scatter(chart, W, H));
        assertThat(texts(d, "tick-x")).containsExactly("1", "2", "5", "10", "20", "50", "100");
        assertThat(texts(d, "tick-y")).containsExactly("0 %", "20 %", "40 %", "60 %", "80 %", "100 %");
        List<Element> points = elements(d, "circle");
        assertThat(points.get(0).getAttribute("cx")).isEqualTo(f(LEFT + Math.log10(8) / 2 * PW));
        assertThat(points.get(0).getAttribute("cy")).isEqualTo(f(TOP + PH / 2.0));
        assertThat(points.get(1).getAttribute("cx")).isEqualTo(f(LEFT + Math.log10(40) / 2 * PW));
        assertThat(points.get(1).getAttribute("cy")).isEqualTo(f(TOP));
    }

    @Test
    void aSinglePointSitsInTheMiddle() throws Exception {
        // x: 10 ± 1 → [9, 11] by 0.5; y: 3 ± 0.3 → [2.6, 3.4] by 0.2: the point at both middles
        Scatter chart = new Scatter(Axis.linear("x"), Axis.linear("y"),
                List.of(new Series("a", List.of(new Point(10, 3, "only")))), List.of(new Point(10, 3, "only")));
        String svg = SvgChart.scatter(chart, W, H);
        Document d = parse(svg);
        Element p = elements(d, "circle").get(0);
        assertThat(p.getAttribute("cx")).isEqualTo(f(LEFT + PW / 2.0));
        assertThat(p.getAttribute("cy")).isEqualTo(f(TOP + PH / 2.0));
        assertThat(texts(d, "tick-x")).containsExactly("9.0", "9.5", "10.0", "10.5", "11.0");
        assertThat(texts(d, "tick-y")).containsExactly("2.6", "2.8", "3.0", "3.2", "3.4");
        assertThat(svg).as("a front of one point is no line").doesNotContain("<polyline");
    }

    @Test
    void noPointsGiveAnEmptyFrameThatSaysSo() throws Exception {
        Scatter chart = new Scatter(Axis.log("NFE"), Axis.linear("FID"), List.of(new Series("a", List.of(
                new Point(Double.NaN, 1, "not measured")))), List.of());
        Document d = parse(SvgChart.scatter(chart, W, H));
        assertThat(elements(d, "circle")).isEmpty();
        assertThat(texts(d, "empty")).containsExactly("no data");
        assertThat(texts(d, "tick-x")).containsExactly("1", "2", "5", "10");
        assertThat(texts(d, "tick-y")).containsExactly("0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
        Document none = parse(SvgChart.scatter(new Scatter(Axis.linear("x"), Axis.linear("y"), List.of(), List.of()), W, H));
        assertThat(elements(none, "circle")).isEmpty();
        assertThat(texts(none, "empty")).containsExactly("no data");
    }

    @Test
    void pointsOutsideAFixedRangeAreDrawnOnTheEdgeAndSaySo() throws Exception {
        Scatter chart = new Scatter(Axis.log("NFE"), Axis.fixed("adherence", 0, 100, " %"),
                List.of(new Series("a", List.of(new Point(10, 120, "too high"), new Point(10, -5, "too low"),
                        new Point(0, 50, "no cost"), new Point(10, 50, "inside")))), List.of());
        Document d = parse(SvgChart.scatter(chart, W, H));
        List<Element> p = elements(d, "circle");
        assertThat(p).hasSize(4);
        assertThat(p.get(0).getAttribute("cy")).isEqualTo(f(TOP));
        assertThat(p.get(1).getAttribute("cy")).isEqualTo(f(TOP + PH));
        assertThat(p.get(2).getAttribute("cx")).as("x <= 0 on a log axis").isEqualTo(f(LEFT));
        for (int i = 0; i < 3; i++) {
            assertThat(p.get(i).getAttribute("class")).isEqualTo("point clipped");
            assertThat(p.get(i).getTextContent()).endsWith("(off the scale)");
        }
        assertThat(p.get(3).getAttribute("class")).isEqualTo("point");
        assertThat(p.get(3).getTextContent()).isEqualTo("inside");
        assertThat(texts(d, "tick-y")).as("the fixed range is kept").containsExactly("0 %", "20 %", "40 %", "60 %",
                "80 %", "100 %");
    }

    @Test
    void hollowMarkersAndTheFrontLine() throws Exception {
        Scatter chart = new Scatter(Axis.from("NFE", 0), Axis.from("FID", 0), List.of(
                new Series("a", List.of(new Point(10, 40, "small", Marker.HOLLOW), new Point(20, 20, "big"))),
                new Series("b", List.of(new Point(40, 10, "b")))),
                List.of(new Point(10, 40, ""), new Point(20, 20, ""), new Point(40, 10, "")));
        String svg = SvgChart.scatter(chart, W, H);
        Document d = parse(svg);
        List<Element> p = elements(d, "circle");
        assertThat(p.get(0).getAttribute("class")).isEqualTo("point hollow");
        assertThat(p.get(0).getAttribute("fill")).isEqualTo("#fff");
        assertThat(p.get(0).getAttribute("stroke")).isEqualTo(SvgChart.colour(0));
        assertThat(p.get(1).getAttribute("fill")).isEqualTo(SvgChart.colour(0));
        assertThat(p.get(2).getAttribute("fill")).isEqualTo(SvgChart.colour(1));
        Matcher line = Pattern.compile("<polyline[^>]*points=\"([^\"]*)\"").matcher(svg);
        assertThat(line.find()).isTrue();
        String[] xy = line.group(1).split(" ");
        assertThat(xy).hasSize(3);
        // the front's vertices are the points' centres
        for (int i = 0; i < 3; i++) {
            assertThat(xy[i]).isEqualTo(p.get(i).getAttribute("cx") + "," + p.get(i).getAttribute("cy"));
        }
    }

    @Test
    void everyTextIsEscaped() throws Exception {
        String evil = "<script>alert(1)</script> \"q\" & 'a' \u0001";
        Scatter chart = new Scatter(new Axis(evil, false, null, null, "<u>"), Axis.linear(evil),
                List.of(new Series(evil, List.of(new Point(1, 2, evil)))), List.of());
        String svg = SvgChart.scatter(chart, W, H) + SvgChart.legend(List.of(evil), evil, 0, 10)
                + SvgChart.bars(List.of(new Bar(evil, 1, evil)));
        assertThat(svg).doesNotContain("<script").doesNotContain("<u>").doesNotContain("\u0001")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39;");
        Document d = parse("<g>" + svg + "</g>");
        assertThat(elements(d, "script")).isEmpty();
        assertThat(texts(d, "title-x")).containsExactly("<script>alert(1)</script> \"q\" & 'a' \uFFFD");
        assertThat(elements(d, "circle").get(0).getTextContent()).isEqualTo("<script>alert(1)</script> \"q\" & 'a' \uFFFD");
    }

    @Test
    void barsAreProportionalToTheirValues() {
        String svg = SvgChart.bars(List.of(new Bar("a", 0.5, "0.5 s"), new Bar("b", 2.0, "2 s"), new Bar("c<", 0.0, "0 s"),
                new Bar("d", 1.5, "1.5 s")));
        Matcher m = Pattern.compile("<rect [^>]*width=\"([0-9.]+)\"[^>]*data-value=\"([0-9.]+)\"").matcher(svg);
        List<double[]> rects = new ArrayList<>();
        while (m.find()) {
            rects.add(new double[]{Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))});
        }
        assertThat(rects).hasSize(4);
        double[] expectedWidths = {75, 300, 0, 225}; // value / 2.0 * 300
        double[] values = {0.5, 2.0, 0.0, 1.5};
        for (int i = 0; i < 4; i++) {
            assertThat(rects.get(i)[0]).isCloseTo(expectedWidths[i], within(0.01));
            assertThat(rects.get(i)[1]).isCloseTo(values[i], within(1e-9));
        }
        assertThat(svg).contains("c&lt;").doesNotContain("c<").contains(">1.5 s<");
        assertThat(SvgChart.bars(List.of(new Bar("z", 0, "0 s")))).as("all zero: no division by zero")
                .contains("width=\"0.00\"");
    }
}
