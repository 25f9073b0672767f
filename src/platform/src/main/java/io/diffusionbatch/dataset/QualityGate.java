package io.diffusionbatch.dataset;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A spec's quality gate applied to one item (docs/DATASETS.md "Quality gate"). Immutable and thread-safe.
 * <ol>
 *   <li>An item the evaluator did not read (its output unreadable, or a format it does not judge) is rejected as
 *       {@code unassessed}: a gate passes only what was judged.</li>
 *   <li>An item whose prompt is not a caption of the evaluator's world (nothing expected) passes: there is
 *       nothing to judge it against.</li>
 *   <li>{@code verdict: adherent}: an item with any prompted attribute read otherwise is rejected as
 *       {@code gate-verdict}.</li>
 *   <li>{@code minScore}: the item's score, the share of prompted attributes read as prompted, below the minimum
 *       is rejected as {@code gate-score}.</li>
 * </ol>
 */
public final class QualityGate {

    public static final String UNASSESSED = "unassessed";
    public static final String VERDICT = "gate-verdict";
    public static final String SCORE = "gate-score";

    /** Why an item is left out: the reason (a {@code dataset_exclusions.reason}) and a sentence. */
    public record Rejection(String reason, String detail) {
    }

    private final DatasetSpec.Gate gate;

    /** @param gate the spec's gate; never null */
    public QualityGate(DatasetSpec.Gate gate) {
        this.gate = gate;
    }

    /** The item's score: the share of expected heads read as expected; null when nothing is expected. */
    public static @Nullable Double score(@Nullable Map<String, String> readings, @Nullable Map<String, String> expected) {
        if (readings == null || expected == null || expected.isEmpty()) {
            return null;
        }
        long hit = expected.entrySet().stream().filter(e -> e.getValue().equals(readings.get(e.getKey()))).count();
        return (double) hit / expected.size();
    }

    /**
     * @param readings what the evaluator read (head → label); null when the item was not assessed
     * @param expected what the prompt asks (head → label); null when not a caption
     * @return the rejection, or null when the item passes
     */
    public @Nullable Rejection judge(@Nullable Map<String, String> readings, @Nullable Map<String, String> expected) {
        if (readings == null) {
            return new Rejection(UNASSESSED, "the evaluator did not read this output");
        }
        if (expected == null || expected.isEmpty()) {
            return null;
        }
        List<String> wrong = new ArrayList<>();
        new TreeMap<>(expected).forEach((head, want) -> {
            String read = readings.get(head);
            if (!want.equals(read)) {
                wrong.add(head + ": read " + read + ", prompted " + want);
            }
        });
        if (DatasetSpec.Gate.ADHERENT.equals(gate.verdict()) && !wrong.isEmpty()) {
            return new Rejection(VERDICT, String.join("; ", wrong));
        }
        Double score = score(readings, expected);
        if (gate.minScore() != null && score != null && score < gate.minScore()) {
            return new Rejection(SCORE, String.format(java.util.Locale.ROOT, "score %.3f below %.3f (%s)", score,
                    gate.minScore(), String.join("; ", wrong)));
        }
        return null;
    }
}
