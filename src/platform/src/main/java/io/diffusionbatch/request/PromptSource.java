package io.diffusionbatch.request;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a request's prompts come from. Three forms (JSON in brackets):
 * <ul>
 *   <li>{@link Inline} ({@code "prompts": ["a red circle", {"prompt": "...", "negative": "...", "seed": 7,
 *       "labels": {...}}]}) – a list of strings or entry objects;</li>
 *   <li>{@link Jsonl} ({@code "prompts": {"jsonl": "{\"prompt\": ...}\n{...}"}}) – the same entry objects, one per
 *       line (a JSONL file inlined by the CLI; {@code {"file": "..."}} is read by the parser into this form);</li>
 *   <li>{@link Template} ({@code "prompts": {"template": "a {colour} {shape}", "slots": {"colour": [...], ...},
 *       "negative": "..."}}) – the cartesian product of the slot values.</li>
 * </ul>
 * All implementations are immutable and thread-safe.
 */
public sealed interface PromptSource permits PromptSource.EntryList, PromptSource.Template {

    /** How many prompts the source holds (for a template: the product of its slot sizes, saturating at Long.MAX_VALUE). */
    long promptCount();

    /** The prompt at this index, 0 &lt;= index &lt; {@link #promptCount()}. */
    PromptEntry entry(long index);

    /** Sources that hold their entries as a list (inline and JSONL). */
    sealed interface EntryList extends PromptSource permits Inline, Jsonl {
        /** The entries; immutable. */
        List<PromptEntry> entries();

        @Override
        default long promptCount() {
            return entries().size();
        }

        @Override
        default PromptEntry entry(long index) {
            Objects.checkIndex(index, promptCount());
            return entries().get((int) index);
        }
    }

    /** An inline list; canonical JSON writes an entry holding only its prompt as a plain string. */
    record Inline(List<PromptEntry> entries) implements EntryList {
        public Inline {
            entries = List.copyOf(entries);
        }
    }

    /** Entries that arrived as JSONL text (one object per line); canonical JSON writes them back as JSONL. */
    record Jsonl(List<PromptEntry> entries) implements EntryList {
        public Jsonl {
            entries = List.copyOf(entries);
        }
    }

    /**
     * A prompt template. Placeholders are {@code {name}} with {@code name} matching {@code [A-Za-z_][A-Za-z0-9_]*};
     * any other brace is literal text. Every placeholder needs a slot and every slot a placeholder; a slot used twice
     * takes the same value at both places.
     *
     * <p><b>Order.</b> Slots are ordered by their first appearance in the template (not by the JSON key order) and
     * prompts are enumerated like nested loops written in that order: the <em>last</em> slot varies fastest. Prompt
     * {@code p} takes, for slot {@code k} of size {@code n_k}, the value {@code (p / (n_{k+1}·…·n_last)) mod n_k}.
     * Each prompt carries its slot values as labels ({@code slot name → value}) and the template's negative prompt.
     *
     * @param template the template text; never null
     * @param slots    slot name → non-empty value list; re-ordered into template order, immutable
     * @param negative the negative prompt of every prompt, or null
     */
    record Template(String template, Map<String, List<String>> slots, String negative) implements PromptSource {

        /** A placeholder: {@code {name}}. */
        public static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)\\}");

        public Template {
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(slots, "slots");
            List<String> order = placeholders(template);
            if (!new LinkedHashSet<>(order).equals(slots.keySet())) {
                throw new IllegalArgumentException("prompts.slots: the slots " + slots.keySet()
                        + " must be exactly the template's placeholders " + order);
            }
            Map<String, List<String>> ordered = new LinkedHashMap<>();
            for (String name : order) {
                List<String> values = List.copyOf(slots.get(name));
                if (values.isEmpty()) {
                    throw new IllegalArgumentException("prompts.slots." + name + ": must hold at least one value");
                }
                ordered.put(name, values);
            }
            slots = Collections.unmodifiableMap(ordered);
        }

        /** The distinct placeholder names of a template, in order of first appearance. */
        public static List<String> placeholders(String template) {
            Set<String> names = new LinkedHashSet<>();
            Matcher m = PLACEHOLDER.matcher(template);
            while (m.find()) {
                names.add(m.group(1));
            }
            return List.copyOf(names);
        }

        @Override
        public long promptCount() {
            long n = 1;
            for (List<String> values : slots.values()) {
                n = saturatingMultiply(n, values.size());
            }
            return n;
        }

        @Override
        public PromptEntry entry(long index) {
            Objects.checkIndex(index, promptCount());
            List<String> names = new ArrayList<>(slots.keySet());
            String[] chosen = new String[names.size()];
            long rest = index;
            for (int k = names.size() - 1; k >= 0; k--) {
                List<String> values = slots.get(names.get(k));
                chosen[k] = values.get((int) (rest % values.size()));
                rest /= values.size();
            }
            Map<String, String> labels = new LinkedHashMap<>();
            for (int k = 0; k < names.size(); k++) {
                labels.put(names.get(k), chosen[k]);
            }
            Matcher m = PLACEHOLDER.matcher(template);
            StringBuilder out = new StringBuilder(template.length() + 32);
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(labels.get(m.group(1))));
            }
            m.appendTail(out);
            return new PromptEntry(out.toString(), negative, null, labels);
        }

        /** The longest prompt (in code points) the template can produce. */
        public long maxPromptCodePoints() {
            long len = 0;
            Matcher m = PLACEHOLDER.matcher(template);
            int last = 0;
            while (m.find()) {
                len += template.codePointCount(last, m.start());
                len += slots.get(m.group(1)).stream().mapToLong(v -> v.codePointCount(0, v.length())).max().orElse(0);
                last = m.end();
            }
            return len + template.codePointCount(last, template.length());
        }
    }

    /** a × b for non-negative values, Long.MAX_VALUE on overflow. */
    static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi != 0 || lo < 0) ? Long.MAX_VALUE : lo;
    }
}
