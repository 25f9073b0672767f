package io.diffusionbatch.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts: a scatter plot (linear or logarithmic axes with {@link NiceTicks}, one colour
 * per series, filled or hollow markers, a dashed front line) and horizontal bars. Every text that
 * goes into the SVG (titles, names, tooltips) is escaped here, so callers pass plain text. Points
 * with a non-finite coordinate are left out; points outside a fixed axis range (or at or below 0
 * on a logarithmic axis) are drawn on the frame's edge with class {@code clipped} and "off the
 * scale" in their tooltip. Stateless and thread-safe; arguments must not be null.
 */
public final class SvgChart {

    /** Series colours, in order (the i-th series gets {@link #colour(int) colour(i)}). */
    private static final String[] PALETTE = {"#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b",
            "#6d4c41", "#3949ab"};

    /** Left margin of a scatter plot's frame (room for the y tick labels and title). */
    public static final int LEFT = 64;
    /** Right margin of a scatter plot's frame. */
    public static final int RIGHT = 16;
    /** Top margin of a scatter plot's frame. */
    public static final int TOP = 12;
    /** Bottom margin of a scatter plot's frame (room for the x tick labels and title). */
    public static final int BOTTOM = 44;

    /** Width in pixels of the longest bar. */
    public static final int BAR_MAX = 300;
    /** Width of the label column left of the bars. */
    public static final int BAR_LABEL = 110;
    /** Height of one bar's row. */
    public static final int BAR_ROW = 24;

    /**
     * An axis.
     *
     * @param title shown along the axis (plain text)
     * @param log   logarithmic (base 10) instead of linear
     * @param min   the lower end, or null to fit the data
     * @param max   the upper end, or null to fit the data
     * @param unit  appended to each tick label (e.g. {@code " %"}); may be empty
     */
    public record Axis(String title, boolean log, Double min, Double max, String unit) {

        /** A linear axis fitted to the data. */
        public static Axis linear(String title) {
            return new Axis(title, false, null, null, "");
        }

        /** A logarithmic axis fitted to the data. */
        public static Axis log(String title) {
            return new Axis(title, true, null, null, "");
        }

        /** A linear axis over the fixed range {@code [min, max]}, ticks labelled with {@code unit}. */
        public static Axis fixed(String title, double min, double max, String unit) {
            return new Axis(title, false, min, max, unit);
        }

        /** A linear axis from {@code min} up to the data. */
        public static Axis from(String title, double min) {
            return new Axis(title, false, min, null, "");
        }
    }

    /** How a point is drawn: a filled disc, or a ring (e.g. for a figure over a small sample). */
    public enum Marker { FILLED, HOLLOW }

    /** One point; {@code tooltip} is shown on hover (plain text). */
    public record Point(double x, double y, String tooltip, Marker marker) {

        /** A filled point. */
        public Point(double x, double y, String tooltip) {
            this(x, y, tooltip, Marker.FILLED);
        }
    }

    /** A named series of points, drawn in one colour. */
    public record Series(String name, List<Point> points) {

        public Series {
            points = List.copyOf(points);
        }
    }

    /**
     * A scatter plot.
     *
     * @param front points joined by a dashed line (e.g. a Pareto front, in increasing x); drawn
     *              when it has two points or more
     */
    public record Scatter(Axis x, Axis y, List<Series> series, List<Point> front) {

        public Scatter {
            series = List.copyOf(series);
            front = List.copyOf(front);
        }
    }

    /** One bar: a label, its value (>= 0) and the value as shown after the bar. */
    public record Bar(String label, double value, String valueText) {
    }

    private SvgChart() {
    }

    /** The colour of the {@code i}-th series (the palette repeats after eight). */
    public static String colour(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** The ticks the axis gets for these data values (non-finite ones, and those <= 0 on a log axis, ignored). */
    public static NiceTicks ticks(Axis axis, List<Double> data) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : data) {
            if (Double.isFinite(v) && (!axis.log() || v > 0)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (axis.min() != null) {
            lo = axis.min();
            hi = Math.max(hi, lo);
        }
        if (axis.max() != null) {
            hi = axis.max();
            lo = Math.min(lo, hi);
        }
        if (lo > hi) { // no data and no fixed range
            lo = axis.log() ? 1 : 0;
            hi = axis.log() ? 10 : 1;
        }
        if (axis.min() != null && axis.max() != null && !axis.log() && hi > lo) {
            // a fixed range is kept as given; the ticks are the nice values inside it
            NiceTicks t = NiceTicks.linear(lo, hi);
            List<Double> values = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < t.values().size(); i++) {
                double v = t.values().get(i);
                if (v >= lo - 1e-9 * (hi - lo) && v <= hi + 1e-9 * (hi - lo)) {
                    values.add(v);
                    labels.add(t.labels().get(i));
                }
            }
            return new NiceTicks(lo, hi, false, values, labels);
        }
        return axis.log() ? NiceTicks.log(lo, hi) : NiceTicks.linear(lo, hi);
    }

    /** A scatter plot as a standalone {@code <svg>} element of the given size. */
    public static String scatter(Scatter chart, int width, int height) {
        return scatter(chart, null, width, height);
    }

    /**
     * A scatter plot as an {@code <svg>} element placed at {@code (x, y)} inside an enclosing
     * SVG (for several panels in one picture).
     */
    public static String scatter(Scatter chart, int x, int y, int width, int height) {
        return scatter(chart, new int[]{x, y}, width, height);
    }

    private static String scatter(Scatter chart, int[] at, int width, int height) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (Series s : chart.series()) {
            for (Point p : s.points()) {
                if (Double.isFinite(p.x()) && Double.isFinite(p.y())) {
                    xs.add(p.x());
                    ys.add(p.y());
                }
            }
        }
        NiceTicks tx = ticks(chart.x(), xs);
        NiceTicks ty = ticks(chart.y(), ys);
        int pw = width - LEFT - RIGHT;
        int ph = height - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\"");
        if (at != null) {
            s.append(" x=\"").append(at[0]).append("\" y=\"").append(at[1]).append('"');
        }
        s.append(" width=\"").append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ")
                .append(width).append(' ').append(height)
                .append("\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">");
        s.append("<rect class=\"frame\" x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"")
                .append(pw).append("\" height=\"").append(ph).append("\" fill=\"#fff\" stroke=\"#999\"/>");
        for (int i = 0; i < tx.values().size(); i++) {
            double px = LEFT + tx.fraction(tx.values().get(i)) * pw;
            s.append("<line class=\"grid\" x1=\"").append(f(px)).append("\" y1=\"").append(TOP).append("\" x2=\"")
                    .append(f(px)).append("\" y2=\"").append(TOP + ph).append("\" stroke=\"#eee\"/>");
            s.append("<text class=\"tick-x\" x=\"").append(f(px)).append("\" y=\"").append(TOP + ph + 15)
                    .append("\" text-anchor=\"middle\">").append(escape(tx.labels().get(i) + chart.x().unit()))
                    .append("</text>");
        }
        for (int i = 0; i < ty.values().size(); i++) {
            double py = TOP + ph - ty.fraction(ty.values().get(i)) * ph;
            s.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" y1=\"").append(f(py)).append("\" x2=\"")
                    .append(LEFT + pw).append("\" y2=\"").append(f(py)).append("\" stroke=\"#eee\"/>");
            s.append("<text class=\"tick-y\" x=\"").append(LEFT - 5).append("\" y=\"").append(f(py + 4))
                    .append("\" text-anchor=\"end\">").append(escape(ty.labels().get(i) + chart.y().unit()))
                    .append("</text>");
        }
        s.append("<text class=\"title-x\" x=\"").append(LEFT + pw / 2).append("\" y=\"").append(height - 8)
                .append("\" text-anchor=\"middle\" font-size=\"12\">").append(escape(chart.x().title())).append("</text>");
        int cy = TOP + ph / 2;
        s.append("<text class=\"title-y\" x=\"14\" y=\"").append(cy).append("\" transform=\"rotate(-90 14 ").append(cy)
                .append(")\" text-anchor=\"middle\" font-size=\"12\">").append(escape(chart.y().title())).append("</text>");
        if (xs.isEmpty()) {
            s.append("<text class=\"empty\" x=\"").append(LEFT + pw / 2).append("\" y=\"").append(cy)
                    .append("\" text-anchor=\"middle\" fill=\"#777\">no data</text>");
        }
        List<double[]> line = new ArrayList<>();
        for (Point p : chart.front()) {
            if (Double.isFinite(p.x()) && Double.isFinite(p.y())) {
                line.add(place(p, tx, ty, pw, ph));
            }
        }
        if (line.size() > 1) {
            s.append("<polyline class=\"front\" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"5 4\" points=\"");
            for (int i = 0; i < line.size(); i++) {
                s.append(i == 0 ? "" : " ").append(f(line.get(i)[0])).append(',').append(f(line.get(i)[1]));
            }
            s.append("\"/>");
        }
        for (int i = 0; i < chart.series().size(); i++) {
            String colour = colour(i);
            for (Point p : chart.series().get(i).points()) {
                if (!Double.isFinite(p.x()) || !Double.isFinite(p.y())) {
                    continue;
                }
                double[] at2 = place(p, tx, ty, pw, ph);
                boolean clipped = at2[2] != 0;
                boolean hollow = p.marker() == Marker.HOLLOW;
                s.append("<circle class=\"point").append(hollow ? " hollow" : "").append(clipped ? " clipped" : "")
                        .append("\" cx=\"").append(f(at2[0])).append("\" cy=\"").append(f(at2[1])).append("\" r=\"4\"");
                if (hollow) {
                    s.append(" fill=\"#fff\" stroke=\"").append(colour).append("\" stroke-width=\"2\"");
                } else {
                    s.append(" fill=\"").append(colour).append('"');
                }
                if (clipped) {
                    s.append(" stroke-dasharray=\"2 2\"");
                }
                s.append("><title>").append(escape(p.tooltip() + (clipped ? " (off the scale)" : "")))
                        .append("</title></circle>");
            }
        }
        return s.append("</svg>").toString();
    }

    /** Pixel position of a point, clamped into the frame; [2] is 1 when it was clamped. */
    private static double[] place(Point p, NiceTicks tx, NiceTicks ty, int pw, int ph) {
        double fx = tx.log() && p.x() <= 0 ? Double.NEGATIVE_INFINITY : tx.fraction(p.x());
        double fy = ty.log() && p.y() <= 0 ? Double.NEGATIVE_INFINITY : ty.fraction(p.y());
        double eps = 1e-9;
        boolean clipped = fx < -eps || fx > 1 + eps || fy < -eps || fy > 1 + eps;
        fx = Math.max(0, Math.min(1, fx));
        fy = Math.max(0, Math.min(1, fy));
        return new double[]{LEFT + fx * pw, TOP + ph - fy * ph, clipped ? 1 : 0};
    }

    /**
     * A legend row for an enclosing SVG: a disc in each series' colour with its name, then, when
     * {@code frontName} is not null, a dashed line with that name. Names are escaped.
     */
    public static String legend(List<String> seriesNames, String frontName, int x, int y) {
        StringBuilder s = new StringBuilder("<g class=\"legend\" font-family=\"sans-serif\" font-size=\"12\">");
        int at = x;
        for (int i = 0; i < seriesNames.size(); i++) {
            String name = seriesNames.get(i);
            s.append("<circle cx=\"").append(at).append("\" cy=\"").append(y - 4).append("\" r=\"5\" fill=\"")
                    .append(colour(i)).append("\"/><text x=\"").append(at + 9).append("\" y=\"").append(y).append("\">")
                    .append(escape(name)).append("</text>");
            at += 30 + 7 * name.length();
        }
        if (frontName != null) {
            s.append("<line x1=\"").append(at).append("\" y1=\"").append(y - 4).append("\" x2=\"").append(at + 24)
                    .append("\" y2=\"").append(y - 4).append("\" stroke=\"#555\" stroke-dasharray=\"5 4\"/><text x=\"")
                    .append(at + 30).append("\" y=\"").append(y).append("\">").append(escape(frontName)).append("</text>");
        }
        return s.append("</g>").toString();
    }

    /**
     * Horizontal bars, the longest {@link #BAR_MAX} pixels wide and the others in proportion (all
     * zero width when no value is positive), each followed by its value text; labels are escaped.
     */
    public static String bars(List<Bar> bars) {
        double max = 0;
        for (Bar b : bars) {
            if (Double.isFinite(b.value())) {
                max = Math.max(max, b.value());
            }
        }
        int h = BAR_ROW * bars.size() + 6;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"").append(BAR_LABEL + BAR_MAX + 120)
                .append("\" height=\"").append(h).append("\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">");
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double w = max > 0 && Double.isFinite(b.value()) && b.value() > 0 ? b.value() / max * BAR_MAX : 0;
            int y = i * BAR_ROW + 3;
            s.append("<text x=\"").append(BAR_LABEL - 6).append("\" y=\"").append(y + 15)
                    .append("\" text-anchor=\"end\">").append(escape(b.label())).append("</text>");
            s.append("<rect x=\"").append(BAR_LABEL).append("\" y=\"").append(y).append("\" width=\"").append(f(w))
                    .append("\" height=\"").append(BAR_ROW - 6).append("\" fill=\"#1e88e5\" data-value=\"")
                    .append(Double.isFinite(b.value()) ? String.format(Locale.ROOT, "%.6f", b.value()) : "")
                    .append("\"><title>").append(escape(b.label())).append("</title></rect>");
            s.append("<text x=\"").append(f(BAR_LABEL + w + 5)).append("\" y=\"").append(y + 15).append("\">")
                    .append(escape(b.valueText())).append("</text>");
        }
        return s.append("</svg>").toString();
    }

    /**
     * Escapes text for SVG/XML element content and quoted attribute values; control characters
     * that XML does not allow become U+FFFD.
     */
    public static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                case '\t', '\n', '\r' -> b.append(c);
                default -> b.append(c < 0x20 || c == 0xFFFE || c == 0xFFFF ? '\uFFFD' : c);
            }
        }
        return b.toString();
    }

    /** A pixel coordinate as written in the SVG: two decimals. */
    public static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
