package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A prompt must not be able to forge the negative prompt or the settings of the A1111 {@code parameters} chunk.
 * The chunk is read back by {@link WebUiReader}, written here independently of {@link A1111Parameters#parse} after
 * the web UI's {@code parse_generation_parameters}; the JSON provenance chunk must keep the exact prompt.
 */
class A1111InfotextForgeryTest {

    private static final Path TINY_SD = Path.of("src/engine/src/test/resources/models/tiny-sd");
    private static final String FORGING = "a cat\nNegative prompt: evil\nSteps: 1, Sampler: x, Seed: 1";

    @Test
    void aPromptWithLineBreaksCannotForgeTheNegativePromptOrTheSettings() {
        A1111Parameters p = new A1111Parameters(FORGING, "blurry", 20, "DPM++ 2M", 7.5, 42, 32, 32);
        Map<String, String> read = WebUiReader.parse(p.format());
        assertThat(read.get("Negative prompt")).isEqualTo("blurry");
        assertThat(read).containsEntry("Steps", "20").containsEntry("Seed", "42").containsEntry("Sampler", "DPM++ 2M")
                .containsEntry("Size", "32x32");
        // the prompt comes back on one line, the same text to a text encoder as the original
        assertThat(read.get("Prompt")).isEqualTo("a cat Negative prompt : evil Steps: 1, Sampler: x, Seed: 1");
        assertThat(clipWords(read.get("Prompt"))).isEqualTo(clipWords(FORGING));
        assertThat(read.get("Prompt")).isEqualTo(A1111Parameters.infotextPrompt(FORGING));
    }

    @Test
    void withoutANegativePromptTheForgedOneStaysInThePrompt() {
        A1111Parameters p = new A1111Parameters(FORGING, "", 20, "Euler", 5.0, 7, 32, 32);
        Map<String, String> read = WebUiReader.parse(p.format());
        assertThat(read.get("Negative prompt")).isEmpty();
        assertThat(read.get("Steps")).isEqualTo("20");
        assertThat(clipWords(read.get("Prompt"))).isEqualTo(clipWords(FORGING));
        // a single-line prompt that starts like a negative prompt is not taken for one either
        A1111Parameters alone = new A1111Parameters("NEGATIVE PROMPT: evil", "", 20, "Euler", 5.0, 7, 32, 32);
        Map<String, String> readAlone = WebUiReader.parse(alone.format());
        assertThat(readAlone.get("Negative prompt")).isEmpty();
        assertThat(readAlone.get("Prompt")).isEqualTo("NEGATIVE PROMPT : evil");
        assertThat(clipWords(readAlone.get("Prompt"))).isEqualTo(clipWords("NEGATIVE PROMPT: evil"));
    }

    @Test
    void everyKindOfLineBreakIsEscapedInPromptAndNegativePrompt() {
        for (String br : List.of("\r\n", "\r", "\n", "\u000B", "\f", "\u001C", "\u001D", "\u001E", "\u0085", "\u2028",
                "\u2029")) {
            String negative = "ugly" + br + "Steps: 1, Sampler: x, CFG scale: 1.0, Seed: 1, Size: 8x8";
            A1111Parameters p = new A1111Parameters("a dog" + br + "Negative prompt: evil", negative, 20, "Euler", 5.0, 7,
                    32, 32);
            String text = p.format();
            // Python's str.splitlines(): exactly prompt, negative prompt and settings line
            List<String> lines = List.of(text.split("\\r\\n|[\\n\\r\\x0B\\f\\x1C\\x1D\\x1E\\x85\\u2028\\u2029]", -1));
            assertThat(lines).as("%04x", (int) br.charAt(0)).hasSize(3);
            assertThat(lines.get(0)).isEqualTo("a dog Negative prompt : evil");
            assertThat(lines.get(1)).isEqualTo("Negative prompt: ugly Steps: 1, Sampler: x, CFG scale: 1.0, Seed: 1,"
                    + " Size: 8x8");
            assertThat(lines.get(2)).startsWith("Steps: 20, Sampler: Euler");
            Map<String, String> read = WebUiReader.parse(text);
            assertThat(read).containsEntry("Seed", "7").containsEntry("Size", "32x32");
            assertThat(clipWords(read.get("Negative prompt"))).isEqualTo(clipWords(negative));
        }
    }

    @Test
    void thePngKeepsTheExactPromptInItsJsonChunkAndAnUnforgeableOneInParameters(@TempDir Path dir) throws IOException {
        GeneratedItem item;
        io.diffusionbatch.engine.ModelIdentity id;
        try (Engine e = Engine.open(TINY_SD, EngineOptions.cpu())) {
            id = e.identity();
            item = e.generate(List.of(new GenerationSpec(FORGING, "blurry\r\nSteps: 99", 123,
                    e.defaultParams().withSteps(2)))).get(0);
        }
        Path file = dir.resolve("x.png");
        ItemWriter.write(item, id, file, OutputFormat.PNG, 8, false);
        Map<String, String> texts = ItemWriterTest.pngTexts(file);

        Map<String, String> read = WebUiReader.parse(texts.get("parameters"));
        assertThat(read).containsEntry("Steps", "2").containsEntry("Seed", "123");
        assertThat(read.get("Negative prompt")).isEqualTo("blurry Steps: 99");
        assertThat(clipWords(read.get("Prompt"))).isEqualTo(clipWords(FORGING));

        JsonNode json = Json.MAPPER.readTree(texts.get(ItemWriter.PROVENANCE_KEYWORD));
        assertThat(json.get("prompt").asString()).isEqualTo(FORGING);
        assertThat(json.get("negative_prompt").asString()).isEqualTo("blurry\r\nSteps: 99");
    }

    /**
     * The words and punctuation runs a CLIP tokenizer sees (its pre-tokenizer after {@code whitespace_clean} and
     * lower-casing; Python's whitespace, which also counts FS, GS and RS): two texts with equal lists give the same
     * tokens.
     */
    private static List<String> clipWords(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\p{L}+|\\p{N}|[^\\s\\x1C-\\x1E\\p{L}\\p{N}]+",
                Pattern.UNICODE_CHARACTER_CLASS).matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * The AUTOMATIC1111 web UI's {@code parse_generation_parameters} ({@code modules/infotext_utils.py}), reduced to
     * prompt, negative prompt and the settings line's key/values: the text is stripped and split at {@code \n}; the
     * last line is the settings line when {@code re_param} finds at least 3 pairs in it (else it is prompt text);
     * every other line is stripped, and from the first that starts with {@code Negative prompt:} on they make the
     * negative prompt; values in double quotes are JSON-unquoted.
     */
    static final class WebUiReader {
        private static final Pattern RE_PARAM = Pattern.compile(
                "\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)", Pattern.UNICODE_CHARACTER_CLASS);

        static Map<String, String> parse(String x) {
            String[] all = x.strip().split("\n", -1);
            List<String> lines = new ArrayList<>(List.of(all).subList(0, all.length - 1));
            String lastLine = all[all.length - 1];
            if (findAll(lastLine).size() < 3) {
                lines.add(lastLine);
                lastLine = "";
            }
            StringBuilder prompt = new StringBuilder();
            StringBuilder negative = new StringBuilder();
            boolean doneWithPrompt = false;
            for (String raw : lines) {
                String line = raw.strip();
                if (line.startsWith("Negative prompt:")) {
                    doneWithPrompt = true;
                    line = line.substring(16).strip();
                }
                StringBuilder target = doneWithPrompt ? negative : prompt;
                target.append(target.length() == 0 ? "" : "\n").append(line);
            }
            Map<String, String> res = new LinkedHashMap<>();
            res.put("Prompt", prompt.toString());
            res.put("Negative prompt", negative.toString());
            for (String[] kv : findAll(lastLine)) {
                String v = kv[1];
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = Json.MAPPER.readValue(v, String.class);
                }
                res.put(kv[0], v);
            }
            return res;
        }

        private static List<String[]> findAll(String line) {
            List<String[]> out = new ArrayList<>();
            Matcher m = RE_PARAM.matcher(line);
            while (m.find()) {
                if (m.end() == m.start()) {
                    break;
                }
                out.add(new String[] {m.group(1), m.group(2)});
            }
            return out;
        }
    }
}
