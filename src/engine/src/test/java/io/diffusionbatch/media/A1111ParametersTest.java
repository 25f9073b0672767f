package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Expected strings are written by hand from the web UI's create_infotext / infotext_utils.quote
 * (AUTOMATIC1111/stable-diffusion-webui, modules/processing.py) and Python's float repr.
 */
class A1111ParametersTest {

    @Test
    void formatsExactlyLikeTheWebUi() {
        A1111Parameters p = new A1111Parameters("PROMPT", "NEG", 20, "DPM++ 2M", 7.5, 42, 512, 512,
                "0123456789", "name", null);
        assertThat(p.format()).isEqualTo("PROMPT\nNegative prompt: NEG\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, "
                + "Seed: 42, Size: 512x512, Model hash: 0123456789, Model: name");
    }

    @Test
    void cfgScaleIsAPythonFloatAndOptionalPartsAreOmitted() {
        A1111Parameters p = new A1111Parameters("a dog", null, 30, "Euler a", 7, 3_000_000_000L, 768, 512);
        assertThat(p.negativePrompt()).isEmpty();
        assertThat(p.format()).isEqualTo("a dog\nSteps: 30, Sampler: Euler a, CFG scale: 7.0, Seed: 3000000000, Size: 768x512");
        assertThat(new A1111Parameters("a dog", "", 30, "Euler a", 7, 1, 8, 8).format()).doesNotContain("Negative prompt");
    }

    @Test
    void modelHashIsCutToTenLowerCaseHexCharacters() {
        A1111Parameters p = new A1111Parameters("x", "", 1, "Euler", 1, 1, 8, 8,
                "6CE0161689B3853ACAA03779EC93EAFE75A02F4CED659BEE03F50797806FA2FA", null, null);
        assertThat(p.modelHash()).isEqualTo("6ce0161689");
        assertThat(p.format()).endsWith("Size: 8x8, Model hash: 6ce0161689");
        assertThatThrownBy(() -> new A1111Parameters("x", "", 1, "Euler", 1, 1, 8, 8, "xyz0123456", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("modelHash");
    }

    @Test
    void extrasAreAppendedInOrderAndQuotedLikeJsonDumps() {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("Schedule type", "Karras");
        extra.put("Lora hashes", "a: 1, b: 2");
        extra.put("Note", "say \"hi\"\\now\nnext\ttab");
        extra.put("Lora", "<lora:x:0.8>");
        extra.put("Tiling", "Tiling");
        A1111Parameters p = new A1111Parameters("p", "n", 5, "DDIM", 0.5, 0, 64, 32, null, "m, v2", extra);
        assertThat(p.format()).isEqualTo("p\nNegative prompt: n\nSteps: 5, Sampler: DDIM, Schedule type: Karras, "
                + "CFG scale: 0.5, Seed: 0, Size: 64x32, Model: \"m, v2\", Lora hashes: \"a: 1, b: 2\", "
                + "Note: \"say \\\"hi\\\"\\\\now\\nnext\\ttab\", Lora: \"<lora:x:0.8>\", Tiling");
    }

    /**
     * create_infotext (web UI 1.9+) has a "Schedule type" slot right after "Sampler" in its dict literal, and the
     * sampler's extra_generation_params["Schedule type"] fills that slot wherever the extras come from.
     */
    @Test
    void scheduleTypeGoesRightAfterTheSamplerWhereverItIsInTheExtras() {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("Clip skip", "2");
        extra.put("Schedule type", "Karras");
        extra.put("Version", "v1.10.1");
        A1111Parameters p = new A1111Parameters("a", "", 20, "DPM++ 2M", 7, 1, 512, 512, "0123456789", "sd", extra);
        assertThat(p.format()).isEqualTo("a\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.0, "
                + "Seed: 1, Size: 512x512, Model hash: 0123456789, Model: sd, Clip skip: 2, Version: v1.10.1");
        // and text the web UI 1.9+ wrote reads back with the schedule type among the extras
        A1111Parameters back = A1111Parameters.parse(p.format());
        assertThat(back).isEqualTo(p);
        assertThat(back.sampler()).isEqualTo("DPM++ 2M");
        assertThat(back.extra()).containsEntry("Schedule type", "Karras");
    }

    @Test
    void aNullSamplerIsNotWrittenAndReadsBackAsNull() {
        A1111Parameters p = new A1111Parameters("a", "", 20, null, 7, 1, 8, 8, null, null, Map.of("Own", "x"));
        assertThat(p.format()).isEqualTo("a\nSteps: 20, CFG scale: 7.0, Seed: 1, Size: 8x8, Own: x");
        A1111Parameters back = A1111Parameters.parse(p.format());
        assertThat(back.sampler()).isNull();
        assertThat(back).isEqualTo(p);
    }

    @Test
    void roundTripsThroughParse() {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("Schedule type", "Karras");
        extra.put("Lora hashes", "a: 1, b: 2");
        extra.put("Note", "say \"hi\"\\now\nnext\ttab");
        extra.put("Clip skip", "2");
        A1111Parameters p = new A1111Parameters("a photo of 猫, (best:1.2) second part", "blurry, ugly", 25,
                "DPM++ 2M SDE", 6.25, 1234567890123L, 1024, 576, "abcdef0123", "sdxl base, 1.0", extra);
        A1111Parameters back = A1111Parameters.parse(p.format());
        assertThat(back).isEqualTo(p);
        assertThat(back.extra().keySet()).containsExactly("Schedule type", "Lora hashes", "Note", "Clip skip");
        A1111Parameters minimal = new A1111Parameters("x", null, 1, "Euler", 12, -1, 8, 16);
        assertThat(A1111Parameters.parse(minimal.format())).isEqualTo(minimal);
    }

    @Test
    void parsesTextWrittenByOldWebUiVersions() {
        String text = "girl with a beret, blue eyes\nNegative prompt: ugly, fat\n"
                + "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x768, Model hash: 45dee52b";
        A1111Parameters p = A1111Parameters.parse(text);
        assertThat(p.prompt()).isEqualTo("girl with a beret, blue eyes");
        assertThat(p.negativePrompt()).isEqualTo("ugly, fat");
        assertThat(p.steps()).isEqualTo(20);
        assertThat(p.sampler()).isEqualTo("Euler a");
        assertThat(p.cfgScale()).isEqualTo(7.0);
        assertThat(p.seed()).isEqualTo(965400086L);
        assertThat(p.width()).isEqualTo(512);
        assertThat(p.height()).isEqualTo(768);
        assertThat(p.modelHash()).isEqualTo("45dee52b");
        assertThat(p.modelName()).isNull();
        assertThat(p.extra()).isEmpty();
    }

    @Test
    void parseRejectsTextWithoutParameters() {
        assertThatThrownBy(() -> A1111Parameters.parse("just a prompt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fewer than 3");
        assertThatThrownBy(() -> A1111Parameters.parse("p\nSteps: 20, Sampler: Euler, CFG scale: 7"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Seed'");
        assertThatThrownBy(() -> A1111Parameters.parse("p\nSteps: x, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Steps");
    }

    @Test
    void pythonFloatRepr() {
        // values and expected text from Python 3: repr(float(x))
        assertThat(A1111Parameters.pythonFloat(7)).isEqualTo("7.0");
        assertThat(A1111Parameters.pythonFloat(7.5)).isEqualTo("7.5");
        assertThat(A1111Parameters.pythonFloat(-2)).isEqualTo("-2.0");
        assertThat(A1111Parameters.pythonFloat(0.1)).isEqualTo("0.1");
        assertThat(A1111Parameters.pythonFloat(0.0)).isEqualTo("0.0");
        assertThat(A1111Parameters.pythonFloat(0.0001)).isEqualTo("0.0001");
        assertThat(A1111Parameters.pythonFloat(0.00001)).isEqualTo("1e-05");
        assertThat(A1111Parameters.pythonFloat(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(A1111Parameters.pythonFloat(123456789012345.0)).isEqualTo("123456789012345.0");
        assertThat(A1111Parameters.pythonFloat(1e16)).isEqualTo("1e+16");
        assertThat(A1111Parameters.pythonFloat(1.25e100)).isEqualTo("1.25e+100");
        assertThat(A1111Parameters.pythonFloat(1e22)).isEqualTo("1e+22");
    }

    @Test
    void rejectsBadFields() {
        assertThatThrownBy(() -> new A1111Parameters("p", "", 0, "Euler", 7, 1, 8, 8))
                .hasMessageContaining("steps");
        assertThatThrownBy(() -> new A1111Parameters("p", "", 1, " ", 7, 1, 8, 8))
                .hasMessageContaining("sampler must not be blank");
        assertThatThrownBy(() -> new A1111Parameters("p", "", 1, "Euler", Double.NaN, 1, 8, 8))
                .hasMessageContaining("cfgScale");
        assertThatThrownBy(() -> new A1111Parameters("p", "", 1, "Euler", 7, 1, 8, 8, null, null, Map.of("Seed", "1")))
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> new A1111Parameters("p", "", 1, "Euler", 7, 1, 8, 8, null, null, Map.of("a:b", "1")))
                .hasMessageContaining("extra key");
    }
}
