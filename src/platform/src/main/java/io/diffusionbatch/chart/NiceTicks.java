package io.diffusionbatch.chart;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ticks of an axis at round values, 1, 2 or 5 × 10^k apart (linear), or at 1, 2 and 5 × 10^k
 * (logarithmic), and the range they span, which covers the data. Immutable and thread-safe.
 *
 * @param min    the axis' lower end: the first tick
 * @param max    the axis' upper end: the last tick (always greater than {@code min})
 * @param log    whether the axis is logarithmic (base 10)
 * @param values the ticks, increasing, from {@code min} to {@code max}
 * @param labels the ticks as text (as many as values): no exponent, no trailing zeros beyond the
 *               step's precision
 */
public record NiceTicks(double min, double max, boolean log, List<Double> values, List<String> labels) {

    /** How many intervals a linear axis aims at (it gets between 3 and 10). */
    public static final int TARGET_INTERVALS = 5;

    public NiceTicks {
        values = List.copyOf(values);
        labels = List.copyOf(labels);
    }

    /**
     * Linear ticks over {@code [lo, hi]}: the step is the 1, 2 or 5 × 10^k nearest above
     * {@code (hi - lo) / TARGET_INTERVALS}, and the ends are the multiples of the step at or
     * outside the data. A range of one value {@code v} becomes {@code v ± 10 %} ({@code ± 1} for 0).
     *
     * @throws IllegalArgumentException when {@code lo} or {@code hi} is not finite or {@code lo > hi}
     */
    public static NiceTicks linear(double lo, double hi) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
            throw new IllegalArgumentException("range: must be finite with lo <= hi, was [" + lo + ", " + hi + "]");
        }
        if (hi - lo < Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12 || hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double step = niceStep((hi - lo) / TARGET_INTERVALS);
        long first = (long) Math.floor(lo / step + 1e-9);
        long last = (long) Math.ceil(hi / step - 1e-9);
        int decimals = Math.max(0, -(int) Math.floor(Math.log10(step) + 1e-9));
        List<Double> values = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (long k = first; k <= last; k++) {
            double v = round(k * step);
            values.add(v);
            labels.add(String.format(Locale.ROOT, "%." + decimals + "f", v == 0 ? 0.0 : v));
        }
        return new NiceTicks(values.get(0), values.get(values.size() - 1), false, values, labels);
    }

    /**
     * Logarithmic ticks over {@code [lo, hi]} (both > 0): the ends are the powers of ten at or
     * outside the data (at least one decade apart); the ticks are the powers of ten, and also
     * 2 and 5 × 10^k when the axis spans at most two decades.
     *
     * @throws IllegalArgumentException when {@code lo} or {@code hi} is not finite and positive or {@code lo > hi}
     */
    public static NiceTicks log(double lo, double hi) {
        if (!(lo > 0) || !Double.isFinite(hi) || lo > hi) {
            throw new IllegalArgumentException("range: must be finite and positive with lo <= hi, was [" + lo + ", "
                    + hi + "]");
        }
        int a = (int) Math.floor(Math.log10(lo) + 1e-9);
        int b = Math.max(a + 1, (int) Math.ceil(Math.log10(hi) - 1e-9));
        boolean fine = b - a <= 2;
        List<Double> values = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int d = a; d <= b; d++) {
            for (int m : fine && d < b ? new int[]{1, 2, 5} : new int[]{1}) {
                double v = round(m * Math.pow(10, d));
                values.add(v);
                labels.add(plain(v));
            }
        }
        return new NiceTicks(values.get(0), values.get(values.size() - 1), true, values, labels);
    }

    /** The smallest 1, 2 or 5 × 10^k that is at least {@code raw} (> 0). */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double residual = raw / magnitude;
        double m = residual <= 1 + 1e-9 ? 1 : residual <= 2 + 1e-9 ? 2 : residual <= 5 + 1e-9 ? 5 : 10;
        return round(m * magnitude);
    }

    /** Where {@code v} falls on the axis: 0 at {@code min}, 1 at {@code max}; outside [0, 1] when off the axis. */
    public double fraction(double v) {
        if (log) {
            return (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
        }
        return (v - min) / (max - min);
    }

    /** Rounds away binary noise (0.30000000000000004 → 0.3): 12 significant digits. */
    private static double round(double v) {
        return v == 0 ? 0 : new BigDecimal(v).round(new MathContext(12)).doubleValue();
    }

    private static String plain(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
