package io.diffusionbatch.quality;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Which items count for adherence and which for FID. */
class RunAssessmentTest {

    private static final LabeledPrompt SINGLE = new LabeledPrompt("s", "single", false,
            Map.of("shape", "circle", "colour", "red"));
    private static final LabeledPrompt HELD = new LabeledPrompt("h", "single", true, Map.of("shape", "star", "colour", "blue"));
    private static final LabeledPrompt PAIR = new LabeledPrompt("p", "pair", false, Map.of("count", "2"));

    private static ShapesEvaluator.Reading reading(Map<String, String> labels, float... features) {
        return new ShapesEvaluator.Reading(labels, features);
    }

    @Test
    void adherenceCountsLabelledItemsAndFidOnlySingleNotHeldOut() {
        FeatureStats reference = new FeatureStats(new double[] {0, 0}, new double[][] {{1, 0}, {0, 1}}, -1);
        RunAssessment a = new RunAssessment(reference);
        assertThat(a.add(SINGLE, reading(Map.of("shape", "circle", "colour", "red"), 1, 2))).isTrue();
        assertThat(a.add(SINGLE, reading(Map.of("shape", "circle", "colour", "blue"), 3, 1))).isFalse();
        assertThat(a.add(HELD, reading(Map.of("shape", "star", "colour", "blue"), 50, 50))).isTrue();
        assertThat(a.add(PAIR, reading(Map.of("count", "2"), -50, 9))).isTrue();
        assertThat(a.add(null, reading(Map.of("count", "1"), 7, 7))).isNull();

        RunQuality q = a.result();
        assertThat(q.assessed()).isEqualTo(5);
        assertThat(q.labelled()).isEqualTo(4);
        assertThat(q.adherent()).isEqualTo(3);
        assertThat(q.adherence()).isEqualTo(0.75);
        assertThat(q.fidItems()).isEqualTo(2);
        // closed form for the two single items (1,2), (3,1): mean (2, 1.5), cov [[2,-1],[-1,0.5]] (N-1);
        // against N(0, I): |mu|^2 + tr(C) + 2 - 2 tr(sqrt(C)); C is rank one with eigenvalue 2.5, sqrt has trace sqrt(2.5)
        double expected = 4 + 2.25 + 2.5 + 2 - 2 * Math.sqrt(2.5);
        assertThat(q.fid()).isCloseTo(expected, within(1e-9));
        assertThat(q.byGroup()).containsKeys("single", "single held-out", "pair");
        assertThat(q.byGroup().get("single")).containsEntry("n", 2).containsEntry("all", 0.5);
    }

    @Test
    void nothingLabelledOrNoReferenceLeavesTheFiguresNull() {
        RunAssessment a = new RunAssessment(null);
        a.add(null, reading(Map.of(), 1));
        a.add(SINGLE, reading(Map.of("shape", "circle", "colour", "red"), 1));
        a.add(SINGLE, reading(Map.of("shape", "circle", "colour", "red"), 2));
        RunQuality q = a.result();
        assertThat(q.fid()).isNull();
        assertThat(q.fidItems()).isZero();
        assertThat(q.adherence()).isEqualTo(1.0);
        assertThat(new RunAssessment(null).result().adherence()).isNull();
        RunAssessment one = new RunAssessment(new FeatureStats(new double[] {0}, new double[][] {{1}}, -1));
        one.add(SINGLE, reading(Map.of(), 1));
        assertThat(one.result().fid()).as("one item has no covariance").isNull();
        assertThat(List.of(q.labelled(), q.adherent())).containsExactly(2L, 2L);
    }
}
