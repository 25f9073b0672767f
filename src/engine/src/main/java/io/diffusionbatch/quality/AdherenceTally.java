package io.diffusionbatch.quality;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts how often the evaluator's reading of a generated item matches its prompt, per group
 * (e.g. single, single held-out, pair, video) and per attribute, and for all attributes at once.
 * Not thread-safe.
 */
public final class AdherenceTally {

    /** Right and total counts of one group. */
    private static final class Group {
        final Map<String, int[]> perHead = new LinkedHashMap<>();
        int allRight;
        int total;
    }

    private final Map<String, Group> groups = new LinkedHashMap<>();

    /** The group a prompt is counted in: its kind, with " held-out" appended for held-out prompts. */
    public static String groupOf(LabeledPrompt p) {
        return p.kind() + (p.heldOut() ? " held-out" : "");
    }

    /** Counts one judged item; heads the prompt does not state are ignored. */
    public void add(LabeledPrompt prompt, Map<String, String> predicted) {
        Group g = groups.computeIfAbsent(groupOf(prompt), k -> new Group());
        boolean all = true;
        for (Map.Entry<String, String> e : prompt.expected().entrySet()) {
            boolean right = e.getValue().equals(predicted.get(e.getKey()));
            int[] c = g.perHead.computeIfAbsent(e.getKey(), k -> new int[2]);
            c[0] += right ? 1 : 0;
            c[1]++;
            all &= right;
        }
        g.allRight += all ? 1 : 0;
        g.total++;
    }

    /** Share of items of {@code group} whose {@code head} was read as prompted; NaN when none. */
    public double accuracy(String group, String head) {
        Group g = groups.get(group);
        int[] c = g == null ? null : g.perHead.get(head);
        return c == null || c[1] == 0 ? Double.NaN : (double) c[0] / c[1];
    }

    /** Share of items of {@code group} with every prompted attribute read as prompted. */
    public double allAttributes(String group) {
        Group g = groups.get(group);
        return g == null || g.total == 0 ? Double.NaN : (double) g.allRight / g.total;
    }

    /**
     * Every group's figures: group → {@code n}, {@code all} (share with every attribute right) and
     * {@code heads} (head → share right), in the order groups were first seen.
     */
    public Map<String, Map<String, Object>> summary() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Group> e : groups.entrySet()) {
            Map<String, Object> heads = new LinkedHashMap<>();
            e.getValue().perHead.forEach((h, c) -> heads.put(h, (double) c[0] / c[1]));
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("n", e.getValue().total);
            g.put("all", allAttributes(e.getKey()));
            g.put("heads", heads);
            out.put(e.getKey(), g);
        }
        return out;
    }

    /** Items counted over all groups. */
    public int total() {
        return groups.values().stream().mapToInt(g -> g.total).sum();
    }

    /** Items with every prompted attribute right, over all groups. */
    public int allRight() {
        return groups.values().stream().mapToInt(g -> g.allRight).sum();
    }

    public int count(String group) {
        Group g = groups.get(group);
        return g == null ? 0 : g.total;
    }

    /** A markdown table: one row per group, one column per attribute, then all attributes. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Group> e : groups.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" (n=").append(e.getValue().total).append(") |");
            for (Map.Entry<String, int[]> h : e.getValue().perHead.entrySet()) {
                sb.append(String.format(Locale.ROOT, " %s %.1f%% |", h.getKey(), 100.0 * h.getValue()[0] / h.getValue()[1]));
            }
            sb.append(String.format(Locale.ROOT, " all %.1f%% |%n", 100 * allAttributes(e.getKey())));
        }
        return sb.toString();
    }
}
