package io.diffusionbatch.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java caption reader against the prompt sets written by Python ({@code tools/shapes/make_prompt_sets.py},
 * which labels from the scene, not from the text): every line must read back to the same kind, held-out flag
 * and expected labels.
 */
class ShapesCaptionsTest {

    private static ShapesEvaluator evaluator;
    private static ShapesCaptions captions;

    @BeforeAll
    static void open() {
        evaluator = ShapesEvaluator.open(Path.of("models/shapes-eval"));
        captions = evaluator.captions();
    }

    @AfterAll
    static void close() {
        evaluator.close();
    }

    @Test
    void readsEveryPromptOfThePythonPromptSetsAsPythonLabelledIt() throws IOException {
        List<Path> sets;
        try (Stream<Path> s = Files.list(Path.of("config/prompts"))) {
            sets = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        assertThat(sets).hasSize(5);
        int n = 0;
        for (Path set : sets) {
            for (LabeledPrompt want : LabeledPrompt.readJsonl(set)) {
                assertThat(captions.label(want.prompt())).as(set + ": " + want.prompt()).contains(want);
                n++;
            }
        }
        assertThat(n).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void pairsAreLabelledLeftOrTopObjectFirst() {
        LabeledPrompt right = captions.label("a red circle to the right of a blue square on a white background").orElseThrow();
        assertThat(right.expected()).containsEntry("obj1_colour", "blue").containsEntry("obj1_shape", "square")
                .containsEntry("obj2_colour", "red").containsEntry("orientation", "horizontal");
        LabeledPrompt below = captions.label("A red circle below a blue square, on a white background.").orElseThrow();
        assertThat(below.expected()).containsEntry("obj1_shape", "square").containsEntry("orientation", "vertical");
        assertThat(captions.label("a green ring above a red circle on a black background").orElseThrow().heldOut()).isTrue();
    }

    @Test
    void textOutsideTheWorldIsNotLabelled() {
        assertThat(captions.label("a photo of an astronaut riding a horse")).isEmpty();
        assertThat(captions.label("a small red circle at the top left on a red background")).as("colour = background").isEmpty();
        assertThat(captions.label("a small red hexagon at the top left on a white background")).isEmpty();
        assertThat(captions.label("a small red circle somewhere on a white background")).isEmpty();
        assertThat(captions.label("a red circle to the left of a red circle on a white background")).as("same object").isEmpty();
        assertThat(captions.label("a red circle moving sideways on a white background")).isEmpty();
        assertThat(captions.label("")).isEmpty();
    }
}
