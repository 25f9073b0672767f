package io.diffusionbatch.quality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a shapes-world caption back into the labels the evaluator should see: the Java twin of
 * {@code world.parse_caption} + {@code make_prompt_sets.expected} in {@code tools/shapes}. Three
 * forms are understood (word-level, case-insensitive, punctuation ignored as the tokenizer does):
 * <pre>
 *   a SIZE COLOUR SHAPE POSITION-PHRASE on a BACKGROUND background        (single)
 *   a COLOUR SHAPE RELATION-PHRASE a COLOUR SHAPE on a BACKGROUND background (pair)
 *   a COLOUR SHAPE moving DIRECTION on a BACKGROUND background             (video)
 * </pre>
 * Pairs are labelled in the evaluator's canonical order: obj1 is the left object of a horizontal
 * relation and the top object of a vertical one ("A to the right of B" expects obj1 = B).
 * Anything else (free text, a colour equal to the background, unknown words) is not a caption of
 * the world and yields empty: such items are not counted in adherence.
 *
 * <p>Immutable and thread-safe.
 */
public final class ShapesCaptions {

    private static final Pattern WORD = Pattern.compile("[a-z0-9]+");

    private static final Map<String, String> POSITION_PHRASES = phrases(
            "at the top left", "top left", "at the top", "top", "at the top right", "top right",
            "on the left", "left", "in the centre", "centre", "on the right", "right",
            "at the bottom left", "bottom left", "at the bottom", "bottom", "at the bottom right", "bottom right");
    private static final Map<String, String> RELATION_PHRASES = phrases(
            "to the left of", "left of", "to the right of", "right of", "above", "above", "below", "below");

    private final Set<String> shapes;
    private final Set<String> colours;
    private final Set<String> sizes;
    private final Set<String> backgrounds;
    private final Set<String> directions;
    private final Set<List<String>> heldOut;

    /**
     * @param shapes      shape words
     * @param colours     object colour words
     * @param sizes       size words
     * @param backgrounds background colour words
     * @param directions  motion words of video captions
     * @param heldOut     (colour, shape) pairs held out of training
     */
    public ShapesCaptions(Set<String> shapes, Set<String> colours, Set<String> sizes, Set<String> backgrounds,
                          Set<String> directions, Set<List<String>> heldOut) {
        this.shapes = Set.copyOf(shapes);
        this.colours = Set.copyOf(colours);
        this.sizes = Set.copyOf(sizes);
        this.backgrounds = Set.copyOf(backgrounds);
        this.directions = Set.copyOf(directions);
        this.heldOut = Set.copyOf(heldOut);
    }

    /** The caption's expected labels, or empty when it is not a caption of the shapes world. */
    public Optional<LabeledPrompt> label(String prompt) {
        List<String> t = tokens(prompt);
        int n = t.size();
        if (n < 8 || !t.get(0).equals("a") || !t.get(n - 1).equals("background") || !t.get(n - 3).equals("a")
                || !t.get(n - 4).equals("on") || !backgrounds.contains(t.get(n - 2))) {
            return Optional.empty();
        }
        String bg = t.get(n - 2);
        List<String> body = t.subList(1, n - 4);
        Map<String, String> e = new LinkedHashMap<>();
        String kind;
        boolean held;
        if (sizes.contains(body.get(0))) {
            if (body.size() < 4 || !colours.contains(body.get(1)) || !shapes.contains(body.get(2))) {
                return Optional.empty();
            }
            String pos = POSITION_PHRASES.get(String.join(" ", body.subList(3, body.size())));
            if (pos == null || body.get(1).equals(bg)) {
                return Optional.empty();
            }
            kind = "single";
            e.put("count", "1");
            e.put("shape", body.get(2));
            e.put("colour", body.get(1));
            e.put("size", body.get(0));
            e.put("position", pos);
            held = heldOut.contains(List.of(body.get(1), body.get(2)));
        } else if (body.size() == 4 && body.get(2).equals("moving")) {
            if (!colours.contains(body.get(0)) || !shapes.contains(body.get(1)) || !directions.contains(body.get(3))
                    || body.get(0).equals(bg)) {
                return Optional.empty();
            }
            kind = "video";
            e.put("direction", body.get(3));
            e.put("shape", body.get(1));
            e.put("colour", body.get(0));
            held = heldOut.contains(List.of(body.get(0), body.get(1)));
        } else {
            int k = body.size();
            if (k < 6 || !body.get(k - 3).equals("a")) {
                return Optional.empty();
            }
            String c1 = body.get(0), s1 = body.get(1), c2 = body.get(k - 2), s2 = body.get(k - 1);
            String rel = RELATION_PHRASES.get(String.join(" ", body.subList(2, k - 3)));
            if (rel == null || !colours.contains(c1) || !colours.contains(c2) || !shapes.contains(s1)
                    || !shapes.contains(s2) || (c1.equals(c2) && s1.equals(s2)) || c1.equals(bg) || c2.equals(bg)) {
                return Optional.empty();
            }
            // canonical order: the left (or top) object first
            boolean firstIsObj1 = rel.equals("left of") || rel.equals("above");
            kind = "pair";
            e.put("count", "2");
            e.put("obj1_shape", firstIsObj1 ? s1 : s2);
            e.put("obj1_colour", firstIsObj1 ? c1 : c2);
            e.put("obj2_shape", firstIsObj1 ? s2 : s1);
            e.put("obj2_colour", firstIsObj1 ? c2 : c1);
            e.put("orientation", rel.endsWith("of") ? "horizontal" : "vertical");
            held = heldOut.contains(List.of(c1, s1)) || heldOut.contains(List.of(c2, s2));
        }
        e.put("background", bg);
        return Optional.of(new LabeledPrompt(prompt, kind, held, e));
    }

    /** The word-level tokenizer's split: lower-case runs of letters and digits. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static Map<String, String> phrases(String... phraseThenLabel) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < phraseThenLabel.length; i += 2) {
            m.put(phraseThenLabel[i], phraseThenLabel[i + 1]);
        }
        return Map.copyOf(m);
    }
}
