package io.diffusionbatch.quality;

import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A prompt with the labels an evaluator should see in an image that follows it.
 *
 * @param prompt   the prompt
 * @param kind     {@code single}, {@code pair} or {@code video}
 * @param heldOut  whether it names an attribute combination held out of the model's training
 * @param expected evaluator head → expected label, in the evaluator's vocabulary
 */
public record LabeledPrompt(String prompt, String kind, boolean heldOut, Map<String, String> expected) {

    public LabeledPrompt {
        expected = Map.copyOf(expected);
    }

    /**
     * Reads a JSON-lines prompt set: one object per line with {@code prompt}, {@code kind},
     * {@code held_out} and {@code expected} (an object of head → label).
     *
     * @throws IllegalArgumentException naming the line and the missing field
     */
    public static List<LabeledPrompt> readJsonl(Path file) {
        JsonMapper json = Json.MAPPER;
        List<LabeledPrompt> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("prompts: cannot read " + file + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(lines.get(i));
            for (String field : List.of("prompt", "kind", "held_out", "expected")) {
                if (n.get(field) == null) {
                    throw new IllegalArgumentException("prompts: " + file + " line " + (i + 1) + " has no '" + field + "'");
                }
            }
            Map<String, String> expected = new LinkedHashMap<>();
            n.get("expected").properties().forEach(e -> expected.put(e.getKey(), e.getValue().asString()));
            out.add(new LabeledPrompt(n.get("prompt").asString(), n.get("kind").asString(), n.get("held_out").asBoolean(),
                    expected));
        }
        return out;
    }
}
