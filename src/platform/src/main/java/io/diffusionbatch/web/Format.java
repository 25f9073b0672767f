package io.diffusionbatch.web;

import java.time.Instant;
import java.util.Locale;

/** How the dashboard writes figures and times (plain text; the templates escape it). Stateless, thread-safe. */
public final class Format {

    /** The text shown for a figure that was not measured (null or not a number). */
    public static final String MISSING = "–";
    /** An FID over fewer images than this is marked as a small sample (FID is biased upwards on few images). */
    public static final int FID_SMALL_SAMPLE = 500;

    private Format() {
    }

    /**
     * A figure: null and non-finite numbers give {@link #MISSING}; doubles get four significant
     * digits (one decimal from 100 up); anything else its {@code toString()}.
     */
    public static String figure(Object v) {
        if (v == null) {
            return MISSING;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                return MISSING;
            }
            return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.4g", d);
        }
        return v.toString();
    }

    /**
     * An FID with the number of images it was computed over: {@code 12.30 (n = 64, small sample)}
     * under {@link #FID_SMALL_SAMPLE} images, {@code 12.30 (n = 1000)} otherwise; {@link #MISSING}
     * when not measured.
     */
    public static String fid(Double fid, int images) {
        if (fid == null || !Double.isFinite(fid)) {
            return MISSING;
        }
        return figure(fid) + " (n = " + images + (smallSample(images) ? ", small sample)" : ")");
    }

    /** Whether an FID over this many images is a small sample. */
    public static boolean smallSample(int images) {
        return images < FID_SMALL_SAMPLE;
    }

    /** A share (0..1) in percent with one decimal, e.g. {@code 85.0 %}; {@link #MISSING} when null. */
    public static String percent(Double share) {
        return share == null || !Double.isFinite(share) ? MISSING : String.format(Locale.ROOT, "%.1f %%", 100 * share);
    }

    /** A time in UTC to the second, e.g. {@code 2026-05-01 12:00:03Z}; {@link #MISSING} when null. */
    public static String time(Instant t) {
        return t == null ? MISSING : t.toString().replace('T', ' ').replaceAll("\\.\\d+Z$", "Z");
    }
}
