package io.diffusionbatch.dataset;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class QualityGateTest {

    private static final Map<String, String> EXPECTED = Map.of("shape", "circle", "colour", "red", "size", "large",
            "position", "centre");

    @Test
    void theVerdictRejectsAnyAttributeReadOtherwiseAndSaysWhich() {
        QualityGate gate = new QualityGate(new DatasetSpec.Gate("adherent", null, 1));
        assertThat(gate.judge(Map.of("shape", "circle", "colour", "red", "size", "large", "position", "centre",
                "background", "white"), EXPECTED)).isNull();
        QualityGate.Rejection r = gate.judge(Map.of("shape", "circle", "colour", "blue", "size", "large",
                "position", "centre"), EXPECTED);
        assertThat(r).isEqualTo(new QualityGate.Rejection("gate-verdict", "colour: read blue, prompted red"));
    }

    @Test
    void aMinimumScoreWithoutTheVerdictKeepsNearMisses() {
        QualityGate gate = new QualityGate(new DatasetSpec.Gate("none", 0.75, 1));
        Map<String, String> oneWrong = Map.of("shape", "circle", "colour", "blue", "size", "large", "position", "centre");
        Map<String, String> twoWrong = Map.of("shape", "star", "colour", "blue", "size", "large", "position", "centre");
        assertThat(QualityGate.score(oneWrong, EXPECTED)).isEqualTo(0.75);
        assertThat(gate.judge(oneWrong, EXPECTED)).isNull();
        assertThat(gate.judge(twoWrong, EXPECTED).reason()).isEqualTo("gate-score");
        assertThat(gate.judge(twoWrong, EXPECTED).detail()).startsWith("score 0.500 below 0.750");
    }

    @Test
    void unreadOutputsAreRejectedAndPromptsOutsideTheWorldPass() {
        QualityGate gate = new QualityGate(new DatasetSpec.Gate("adherent", 0.5, 1));
        assertThat(gate.judge(null, EXPECTED).reason()).isEqualTo("unassessed");
        assertThat(gate.judge(Map.of("shape", "star"), null)).isNull();
        assertThat(QualityGate.score(Map.of("shape", "star"), null)).isNull();
    }
}
