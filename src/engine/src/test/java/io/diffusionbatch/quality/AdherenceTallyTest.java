package io.diffusionbatch.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdherenceTallyTest {

    @Test
    void countsEachAttributeAndAllAttributesPerGroup() {
        AdherenceTally t = new AdherenceTally();
        LabeledPrompt p = new LabeledPrompt("a red circle", "single", false, Map.of("shape", "circle", "colour", "red"));
        LabeledPrompt h = new LabeledPrompt("a blue star", "single", true, Map.of("shape", "star", "colour", "blue"));
        t.add(p, Map.of("shape", "circle", "colour", "red", "size", "small"));
        t.add(p, Map.of("shape", "circle", "colour", "blue"));
        t.add(p, Map.of("shape", "square", "colour", "blue"));
        t.add(h, Map.of("shape", "star", "colour", "blue"));
        assertThat(t.count("single")).isEqualTo(3);
        assertThat(t.accuracy("single", "shape")).isEqualTo(2 / 3.0);
        assertThat(t.accuracy("single", "colour")).isEqualTo(1 / 3.0);
        assertThat(t.allAttributes("single")).isEqualTo(1 / 3.0);
        assertThat(t.allAttributes("single held-out")).isEqualTo(1.0);
        assertThat(t.accuracy("single", "size")).isNaN();
        assertThat(t.table()).contains("| single (n=3) |").contains("shape 66.7%").contains("all 33.3%")
                .contains("| single held-out (n=1) |");
    }

    @Test
    void readsTheCommittedPromptSets() {
        List<LabeledPrompt> pairs = LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-pair.jsonl"));
        assertThat(pairs).hasSize(300);
        assertThat(pairs).allSatisfy(p -> assertThat(p.expected()).containsKeys("obj1_shape", "obj2_colour", "orientation"));
        assertThat(LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-single.jsonl"))).hasSize(500)
                .noneMatch(LabeledPrompt::heldOut);
        assertThat(LabeledPrompt.readJsonl(Path.of("config/prompts/shapes-single-held-out.jsonl")))
                .allMatch(LabeledPrompt::heldOut);
    }

    @Test
    void aLineWithoutAFieldIsNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, "{\"prompt\": \"x\", \"kind\": \"single\", \"held_out\": false, \"expected\": {}}\n"
                + "{\"prompt\": \"y\", \"kind\": \"single\"}\n");
        assertThatThrownBy(() -> LabeledPrompt.readJsonl(f)).hasMessageContaining("line 2 has no 'held_out'");
    }
}
