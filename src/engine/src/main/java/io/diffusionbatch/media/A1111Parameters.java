package io.diffusionbatch.media;

import io.diffusionbatch.engine.json.Json;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * Generation parameters in the text form the AUTOMATIC1111 Stable Diffusion web UI stores in a PNG's
 * {@code parameters} text chunk (and shows under each picture), so that tools reading A1111 metadata
 * (the web UI's "PNG Info" tab, Civitai, ...) recognise our images.
 *
 * <p>{@link #format()} follows {@code create_infotext} in the web UI's {@code modules/processing.py}:
 * <pre>
 * PROMPT
 * Negative prompt: NEG
 * Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 42, Size: 512x512, Model hash: 0123456789, Model: name, K: V...
 * </pre>
 * <ul>
 *   <li>The "Negative prompt" line is omitted when the negative prompt is empty.</li>
 *   <li>"Sampler" is omitted when {@code sampler} is null: the web UI has no sampler for what made the picture (see
 *       {@link Provenance#a1111Sampler(String)}). Its reader then falls back to its default sampler, as it does for
 *       a name it does not know, but the text does not claim a sampler that was not used.</li>
 *   <li>"Model hash" and "Model" are omitted when null; {@code extra} entries follow in their map order, except
 *       {@code "Schedule type"}, which goes right after "Sampler": {@code create_infotext} builds its settings as a
 *       Python dict literal with a "Schedule type" slot after "Sampler" and merges the sampler's extra parameters
 *       into it, so the web UI (1.9 and later) writes {@code Sampler: DPM++ 2M, Schedule type: Karras, CFG scale:
 *       ...}.</li>
 *   <li>Values are written like Python's {@code str()}: CFG scale is a Python float ({@code 7.0}, {@code 7.5},
 *       never {@code 7}), see {@link #pythonFloat(double)}.</li>
 *   <li>A value containing {@code ,} {@code :} or a newline is written as a JSON string (the web UI's
 *       {@code infotext_utils.quote}, i.e. {@code json.dumps(v, ensure_ascii=False)}).</li>
 *   <li>As in the web UI, an extra entry whose value equals its key is written as the bare key.</li>
 *   <li>The whole text is stripped of leading/trailing whitespace (Python {@code str.strip()}).</li>
 * </ul>
 *
 * <p><b>Line breaks in prompts.</b> The web UI writes prompts verbatim, and its reader
 * ({@code parse_generation_parameters}) gives lines their meaning: every line before the last is prompt text until
 * one starts with {@code Negative prompt:}, the last line is the settings line. A prompt written verbatim could
 * therefore forge its own negative prompt and settings (the prompt {@code "a cat\nNegative prompt: evil\nSteps: 1,
 * Sampler: x, Seed: 1"}), and readers that look for the first {@code "\nSteps: "} line or split at any
 * {@code "Negative prompt:"} are fooled the same way. {@link #format()} therefore writes prompt and negative prompt
 * with {@link #infotextPrompt(String)}: each line break (CR LF, CR, LF, and the other separators Python's
 * {@code str.splitlines()} knows: VT, FF, FS, GS, RS, NEL, U+2028, U+2029) becomes one space, and every
 * {@code "negative prompt:"} (any case) becomes {@code "negative prompt :"}. So the prompt is one line that
 * neither starts a negative prompt nor can be the settings line (which {@code format()} always writes last), and
 * a reader following the web UI's rules reads back the prompt with its line breaks as spaces. That is the
 * original prompt to every text encoder of this kind of model (CLIP's tokenizer collapses whitespace runs and
 * splits punctuation from words, so {@code "prompt:"} and {@code "prompt :"} give the same tokens; so does the
 * word-level tokenizer of the bundled models), while an escape such as a literal {@code \n} would change the
 * tokens. The exact text, line breaks included, is kept in the JSON provenance chunk ({@link Provenance}).
 *
 * <p>{@link #parse(String)} is the reverse, following the web UI's {@code parse_generation_parameters}
 * (the last line holds the key/value pairs; like the web UI, each prompt line is stripped). It round-trips
 * {@code format()} for prompts with no line breaks, no {@code "negative prompt:"} and no leading/trailing
 * whitespace; other prompts come back as {@link #infotextPrompt(String)} wrote them.
 *
 * <p>Null handling: {@code negativePrompt == null} is normalised to {@code ""}; {@code modelHash} and
 * {@code modelName} may be null; {@code extra == null} becomes empty. {@code modelHash} must be hexadecimal,
 * 8..64 characters; it is lower-cased and cut to its first 10 characters (A1111's short hash of the
 * SHA-256). {@code extra} keeps insertion order for {@code format()}; record equality compares it as a map
 * (order-insensitive). Immutable and thread-safe.
 *
 * @param prompt         positive prompt, not null
 * @param negativePrompt negative prompt, null/empty for none
 * @param steps          sampling steps, {@code >= 1}
 * @param sampler        sampler display name as in A1111 (e.g. {@code "DPM++ 2M"}); null when the web UI has none
 *                       for it (then not written); not blank
 * @param cfgScale       classifier-free guidance scale, finite
 * @param seed           seed
 * @param width          image width, {@code >= 1}
 * @param height         image height, {@code >= 1}
 * @param modelHash      model short hash or null
 * @param modelName      model name or null
 * @param extra          further key/values in order; keys must match {@code \w[\w \-/]+} and must not be one
 *                       of the fields above
 */
public record A1111Parameters(String prompt, String negativePrompt, int steps, String sampler, double cfgScale,
                              long seed, int width, int height, String modelHash, String modelName,
                              Map<String, String> extra) {

    /** The web UI's key for the σ schedule (1.9 and later), written right after "Sampler" (see the class comment). */
    public static final String SCHEDULE_TYPE = "Schedule type";

    private static final Set<String> RESERVED = Set.of(
            "Prompt", "Negative prompt", "Steps", "Sampler", "CFG scale", "Seed", "Size", "Model hash", "Model");
    /** The web UI's {@code re_param}: key, then a JSON-quoted value or anything up to the next comma. */
    private static final Pattern PARAM = Pattern.compile(
            "\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern KEY = Pattern.compile("\\w[\\w \\-/]+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern SIZE = Pattern.compile("^(\\d+)x(\\d+)$");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{8,64}");
    /** What Python's {@code str.splitlines()} splits at, CR LF as one break. */
    private static final Pattern LINE_BREAK = Pattern.compile("\\r\\n|[\\n\\r\\x0B\\f\\x1C\\x1D\\x1E\\x85\\u2028\\u2029]");
    private static final Pattern NEGATIVE_MARK = Pattern.compile("(negative prompt):", Pattern.CASE_INSENSITIVE
            | Pattern.UNICODE_CASE);

    public A1111Parameters {
        Objects.requireNonNull(prompt, "prompt must not be null");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (sampler != null && sampler.isBlank()) {
            throw new IllegalArgumentException("sampler must not be blank (null for none)");
        }
        if (!Double.isFinite(cfgScale)) {
            throw new IllegalArgumentException("cfgScale must be finite, got " + cfgScale);
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("width and height must be >= 1, got " + width + "x" + height);
        }
        if (modelHash != null) {
            if (!HEX.matcher(modelHash).matches()) {
                throw new IllegalArgumentException("modelHash must be 8..64 hexadecimal characters, got '" + modelHash + "'");
            }
            modelHash = modelHash.substring(0, Math.min(10, modelHash.length())).toLowerCase(Locale.ROOT);
        }
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        if (extra != null) {
            for (Map.Entry<String, String> e : extra.entrySet()) {
                String k = e.getKey();
                if (k == null || !KEY.matcher(k).matches()) {
                    throw new IllegalArgumentException("extra key must match \\w[\\w \\-/]+ (word characters, spaces, '-', '/'), got '" + k + "'");
                }
                if (!k.equals(k.strip()) || RESERVED.contains(k)) {
                    throw new IllegalArgumentException("extra key '" + k + "' is reserved or has surrounding spaces");
                }
                copy.put(k, Objects.requireNonNull(e.getValue(), "extra value for '" + k + "' must not be null"));
            }
        }
        extra = Collections.unmodifiableMap(copy);
    }

    /** Parameters without model information or extras. */
    public A1111Parameters(String prompt, String negativePrompt, int steps, String sampler, double cfgScale,
                           long seed, int width, int height) {
        this(prompt, negativePrompt, steps, sampler, cfgScale, seed, width, height, null, null, null);
    }

    /** The A1111 infotext (see the class comment). */
    public String format() {
        StringBuilder sb = new StringBuilder(infotextPrompt(prompt));
        if (!negativePrompt.isEmpty()) {
            sb.append("\nNegative prompt: ").append(infotextPrompt(negativePrompt));
        }
        sb.append('\n');
        List<String[]> kv = new ArrayList<>();
        kv.add(new String[]{"Steps", Integer.toString(steps)});
        if (sampler != null) {
            kv.add(new String[]{"Sampler", sampler});
        }
        String schedule = extra.get(SCHEDULE_TYPE);
        if (schedule != null) {
            kv.add(new String[]{SCHEDULE_TYPE, schedule});
        }
        kv.add(new String[]{"CFG scale", pythonFloat(cfgScale)});
        kv.add(new String[]{"Seed", Long.toString(seed)});
        kv.add(new String[]{"Size", width + "x" + height});
        if (modelHash != null) {
            kv.add(new String[]{"Model hash", modelHash});
        }
        if (modelName != null) {
            kv.add(new String[]{"Model", modelName});
        }
        extra.forEach((k, v) -> {
            if (!k.equals(SCHEDULE_TYPE)) {
                kv.add(new String[]{k, v});
            }
        });
        for (int i = 0; i < kv.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            String k = kv.get(i)[0];
            String v = kv.get(i)[1];
            if (k.equals(v)) {
                sb.append(k);
            } else {
                sb.append(k).append(": ").append(quote(v));
            }
        }
        return pyStrip(sb.toString());
    }

    /**
     * A prompt as {@link #format()} writes it (see the class comment): every line break (CR LF counting as one)
     * replaced by a space and every {@code "negative prompt:"}, in any case, by {@code "negative prompt :"}, so that
     * no reader of the format can take part of it for a negative prompt or a settings line.
     *
     * @param prompt a prompt, not null
     * @return the prompt on one line; {@code prompt} itself when it has nothing to escape
     */
    public static String infotextPrompt(String prompt) {
        String oneLine = LINE_BREAK.matcher(prompt).replaceAll(" ");
        return NEGATIVE_MARK.matcher(oneLine).replaceAll("$1 :");
    }

    /**
     * Parses A1111 infotext.
     *
     * <p>A text without "Sampler" gives a null {@link #sampler()} (as {@link #format()} writes for a sampler the
     * web UI does not have).
     *
     * @throws IllegalArgumentException if the text has no parameter line (fewer than 3 key/value pairs on its
     *                                  last line) or lacks Steps, CFG scale, Seed or Size, or one of them is
     *                                  malformed
     */
    public static A1111Parameters parse(String text) {
        Objects.requireNonNull(text, "text must not be null");
        String[] lines = pyStrip(text).split("\n", -1);
        String last = lines[lines.length - 1];
        List<String[]> pairs = findParams(last);
        if (pairs.size() < 3) {
            throw new IllegalArgumentException("not A1111 parameters: the last line has fewer than 3 'Key: value' pairs");
        }
        StringBuilder prompt = new StringBuilder();
        StringBuilder negative = new StringBuilder();
        boolean inNegative = false;
        for (int i = 0; i < lines.length - 1; i++) {
            String line = pyStrip(lines[i]);
            if (line.startsWith("Negative prompt:")) {
                inNegative = true;
                line = pyStrip(line.substring("Negative prompt:".length()));
            }
            StringBuilder target = inNegative ? negative : prompt;
            if (target.length() > 0) {
                target.append('\n');
            }
            target.append(line);
        }
        LinkedHashMap<String, String> map = new LinkedHashMap<>();
        for (String[] p : pairs) {
            map.put(p[0], p[1]);
        }
        int steps = parseInt(required(map, "Steps"), "Steps");
        String sampler = map.get("Sampler");
        double cfg;
        try {
            cfg = Double.parseDouble(required(map, "CFG scale"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CFG scale is not a number: '" + map.get("CFG scale") + "'");
        }
        long seed;
        try {
            seed = Long.parseLong(required(map, "Seed"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Seed is not an integer: '" + map.get("Seed") + "'");
        }
        Matcher size = SIZE.matcher(required(map, "Size"));
        if (!size.matches()) {
            throw new IllegalArgumentException("Size must be WIDTHxHEIGHT, got '" + map.get("Size") + "'");
        }
        int width = parseInt(size.group(1), "Size width");
        int height = parseInt(size.group(2), "Size height");
        String hash = map.get("Model hash");
        String model = map.get("Model");
        LinkedHashMap<String, String> extra = new LinkedHashMap<>(map);
        extra.keySet().removeAll(RESERVED);
        return new A1111Parameters(prompt.toString(), negative.toString(), steps, sampler, cfg, seed, width, height,
                hash, model, extra);
    }

    private static List<String[]> findParams(String line) {
        List<String[]> out = new ArrayList<>();
        Matcher m = PARAM.matcher(line);
        while (m.find()) {
            if (m.end() == m.start()) {
                break;
            }
            String v = m.group(2);
            if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
                try {
                    v = Json.MAPPER.readValue(v, String.class);
                } catch (RuntimeException e) {
                    // like the web UI's unquote: keep the raw text when it is not valid JSON
                }
            }
            out.add(new String[]{m.group(1), v});
        }
        return out;
    }

    private static String required(Map<String, String> map, String key) {
        String v = map.get(key);
        if (v == null) {
            throw new IllegalArgumentException("A1111 parameters lack '" + key + "'");
        }
        return v;
    }

    private static int parseInt(String s, String field) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + " is not an integer: '" + s + "'");
        }
    }

    /**
     * The web UI's {@code quote}: values containing {@code ,}, {@code :} or a newline become a JSON string as
     * {@code json.dumps(v, ensure_ascii=False)} writes it; other values are unchanged.
     */
    static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf(':') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 8).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Formats a double as Python's {@code repr(float)}/{@code str(float)} does for finite values: fixed
     * notation with at least one fractional digit when {@code 1e-4 <= |v| < 1e16} ({@code 7.0}, {@code 7.5},
     * {@code 0.0001}), otherwise scientific with a signed, at least two-digit exponent ({@code 1e-05},
     * {@code 1e+16}). The digits are those of {@link Double#toString(double)}, which on Java 17 are the
     * shortest round-tripping digits except in rare cases (JDK-4511638, fixed in Java 19).
     */
    static String pythonFloat(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("not finite: " + v);
        }
        if (v == 0) {
            return (1 / v < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        String sign = bd.signum() < 0 ? "-" : "";
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        if (exp >= -4 && exp < 16) {
            String plain = bd.abs().toPlainString();
            if (plain.indexOf('.') < 0) {
                plain += ".0";
            }
            return sign + plain;
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = Integer.toString(Math.abs(exp));
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }

    /** Python's {@code str.strip()} (Unicode whitespace, including no-break spaces). */
    static String pyStrip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isPySpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isPySpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    private static boolean isPySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
