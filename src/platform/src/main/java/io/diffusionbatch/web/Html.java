package io.diffusionbatch.web;

import java.util.Locale;

/** HTML escaping, value formatting and the page frame. Stateless, thread-safe. */
public final class Html {

    /** The text shown for a figure that was not measured (null or not a number). */
    public static final String MISSING = "–";

    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
            nav{background:#263238;padding:.5em 1em}nav a{color:#eceff1;margin-right:1.2em;text-decoration:none}
            main{padding:1em 1.5em}h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}
            table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
            th{background:#eef1f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
            .bar{display:inline-block;width:120px;height:.7em;background:#e0e0e0;margin-right:.5em}.bar i{display:block;height:100%;background:#43a047}
            .sheet{display:flex;flex-wrap:wrap;gap:6px}.sheet a,.sheet span.cell{display:block;width:96px;height:96px;background:#fff;border:1px solid #ddd}
            .sheet img,.sheet video{width:96px;height:96px;object-fit:contain;image-rendering:pixelated}
            .cell{font-size:11px;color:#888;text-align:center}pre{background:#fff;border:1px solid #ddd;padding:.6em;white-space:pre-wrap;word-break:break-all}
            .match{background:#e8f5e9;border:1px solid #43a047;padding:.6em}.mismatch{background:#ffebee;border:1px solid #e53935;padding:.6em}
            .error{background:#ffebee;border:1px solid #e53935;padding:.8em}img.full{max-width:512px;image-rendering:pixelated;width:256px}
            .muted{color:#777}
            """;

    private Html() {
    }

    /** Escapes text for HTML element content and quoted attribute values; null gives "". */
    public static String esc(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * A figure as text: null and non-finite numbers give {@link #MISSING}; doubles get four
     * significant digits (one decimal from 100 up); anything else its {@code toString()}.
     * Not escaped.
     */
    public static String value(Object v) {
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
     * A whole page: navigation, title and body. {@code bodyHtml} must already be escaped;
     * {@code bodyAttributes} are raw attributes of the body element (may be empty).
     */
    static String page(String title, String bodyAttributes, String bodyHtml) {
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width\">"
                + "<title>" + esc(title) + " – diffusion-batch</title><style>" + CSS + "</style></head>\n"
                + "<body" + (bodyAttributes.isEmpty() ? "" : " " + bodyAttributes) + ">"
                + "<nav><a href=\"/\">runs</a><a href=\"/quality\">quality</a><a href=\"/rejected\">rejected</a></nav>\n"
                + "<main><h1>" + esc(title) + "</h1>\n" + bodyHtml + "</main>\n"
                + "<script src=\"/static/progress.js\"></script></body></html>\n";
    }

    /** A progress bar with its "done / total" text, updated by the progress script. */
    static String progress(long run, long done, long total) {
        double pct = total == 0 ? 0 : 100.0 * done / total;
        return "<span data-progress=\"" + run + "\"><span class=\"bar\"><i style=\"width:"
                + String.format(Locale.ROOT, "%.1f", pct) + "%\"></i></span><span class=\"count\">" + done + " / " + total
                + "</span></span>";
    }
}
