package io.diffusionbatch.web;

import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts: horizontal bars and a scatter plot with one colour per series. Labels are
 * escaped. Stateless, thread-safe.
 */
public final class Charts {

    /** One bar: a label and a value (not negative). */
    public record Bar(String label, double value) {
    }

    /** One point of a scatter; {@code label} becomes its tooltip. */
    public record Point(double x, double y, String label) {
    }

    /** A named series of points drawn in one colour. */
    public record Series(String name, List<Point> points) {
    }

    /** Width in pixels of the longest bar. */
    public static final int BAR_MAX = 300;
    static final int BAR_LABEL = 110;
    static final int BAR_ROW = 24;

    static final String[] COLOURS = {"#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41",
            "#3949ab"};

    static final int W = 640;
    static final int H = 340;
    static final int LEFT = 60;
    static final int RIGHT = 250;
    static final int TOP = 15;
    static final int BOTTOM = 45;

    private Charts() {
    }

    /**
     * Horizontal bars, the longest {@link #BAR_MAX} pixels wide and the others in proportion,
     * each followed by its value and {@code unit}.
     */
    public static String bars(List<Bar> bars, String unit) {
        double max = bars.stream().mapToDouble(Bar::value).max().orElse(0);
        int h = BAR_ROW * bars.size() + 6;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"").append(BAR_LABEL + BAR_MAX + 120)
                .append("\" height=\"").append(h).append("\" role=\"img\">");
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double w = max > 0 && Double.isFinite(b.value()) ? b.value() / max * BAR_MAX : 0;
            int y = i * BAR_ROW + 3;
            s.append("<text x=\"").append(BAR_LABEL - 6).append("\" y=\"").append(y + 15)
                    .append("\" text-anchor=\"end\" font-size=\"12\">").append(Html.esc(b.label())).append("</text>");
            s.append("<rect x=\"").append(BAR_LABEL).append("\" y=\"").append(y).append("\" width=\"").append(f(w))
                    .append("\" height=\"").append(BAR_ROW - 6).append("\" fill=\"#1e88e5\" data-value=\"")
                    .append(f(b.value())).append("\"><title>").append(Html.esc(b.label())).append("</title></rect>");
            s.append("<text x=\"").append(f(BAR_LABEL + w + 5)).append("\" y=\"").append(y + 15)
                    .append("\" font-size=\"12\">").append(Html.esc(Html.value(b.value()) + " " + unit)).append("</text>");
        }
        return s.append("</svg>").toString();
    }

    /**
     * A scatter plot; axes span the data (x from 0). Each series gets a colour and a legend entry;
     * each point a circle with its label as tooltip.
     */
    public static String scatter(List<Series> series, String xLabel, String yLabel) {
        return scatter(series, List.of(), xLabel, yLabel);
    }

    /**
     * A scatter plot as {@link #scatter(List, String, String)}, with {@code front} (points in
     * increasing x, e.g. a Pareto front) joined by a dashed line.
     */
    public static String scatter(List<Series> series, List<Point> front, String xLabel, String yLabel) {
        double xMax = 0;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series sr : series) {
            for (Point p : sr.points()) {
                xMax = Math.max(xMax, p.x());
                yMin = Math.min(yMin, p.y());
                yMax = Math.max(yMax, p.y());
            }
        }
        if (!(yMin <= yMax)) {
            yMin = 0;
            yMax = 1;
        }
        if (yMax - yMin < 1e-12) {
            double pad = Math.max(Math.abs(yMax) * 0.1, 1e-3);
            yMin -= pad;
            yMax += pad;
        }
        double yPad = (yMax - yMin) * 0.05;
        yMin -= yPad;
        yMax += yPad;
        xMax = xMax <= 0 ? 1 : xMax * 1.05;
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\" width=\"").append(W).append("\" height=\"")
                .append(H).append("\" role=\"img\">");
        s.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(pw)
                .append("\" height=\"").append(ph).append("\" fill=\"#fff\" stroke=\"#999\"/>");
        for (int k = 0; k <= 4; k++) {
            double xv = xMax * k / 4;
            double yv = yMin + (yMax - yMin) * k / 4;
            double px = LEFT + pw * k / 4.0;
            double py = TOP + ph - ph * k / 4.0;
            s.append("<text x=\"").append(f(px)).append("\" y=\"").append(TOP + ph + 15)
                    .append("\" text-anchor=\"middle\" font-size=\"11\">").append(tick(xv)).append("</text>");
            s.append("<text x=\"").append(LEFT - 4).append("\" y=\"").append(f(py + 4))
                    .append("\" text-anchor=\"end\" font-size=\"11\">").append(tick(yv)).append("</text>");
        }
        s.append("<text x=\"").append(LEFT + pw / 2).append("\" y=\"").append(H - 8)
                .append("\" text-anchor=\"middle\" font-size=\"12\">").append(Html.esc(xLabel)).append("</text>");
        s.append("<text x=\"12\" y=\"").append(TOP + ph / 2).append("\" transform=\"rotate(-90 12 ").append(TOP + ph / 2)
                .append(")\" text-anchor=\"middle\" font-size=\"12\">").append(Html.esc(yLabel)).append("</text>");
        if (front.size() > 1) {
            s.append("<polyline class=\"front\" fill=\"none\" stroke=\"#777\" stroke-dasharray=\"4 3\" points=\"");
            for (Point p : front) {
                s.append(f(LEFT + p.x() / xMax * pw)).append(',').append(f(TOP + ph - (p.y() - yMin) / (yMax - yMin) * ph))
                        .append(' ');
            }
            s.append("\"><title>Pareto front</title></polyline>");
        }
        for (int i = 0; i < series.size(); i++) {
            Series sr = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            for (Point p : sr.points()) {
                double px = LEFT + p.x() / xMax * pw;
                double py = TOP + ph - (p.y() - yMin) / (yMax - yMin) * ph;
                s.append("<circle cx=\"").append(f(px)).append("\" cy=\"").append(f(py)).append("\" r=\"4\" fill=\"")
                        .append(colour).append("\"><title>").append(Html.esc(p.label())).append("</title></circle>");
            }
            int ly = TOP + 10 + i * 18;
            s.append("<circle cx=\"").append(W - RIGHT + 15).append("\" cy=\"").append(ly).append("\" r=\"4\" fill=\"")
                    .append(colour).append("\"/><text x=\"").append(W - RIGHT + 25).append("\" y=\"").append(ly + 4)
                    .append("\" font-size=\"12\">").append(Html.esc(sr.name())).append("</text>");
        }
        return s.append("</svg>").toString();
    }

    /** An axis tick: three significant digits without trailing zeros. */
    static String tick(double v) {
        String t = String.format(Locale.ROOT, "%.3g", v);
        if (t.contains("e") || !t.contains(".")) {
            return t;
        }
        t = t.replaceAll("0+$", "");
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
