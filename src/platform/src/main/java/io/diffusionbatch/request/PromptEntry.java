package io.diffusionbatch.request;

import java.util.Map;
import java.util.Objects;

/**
 * One prompt of an inline or JSONL prompt list. Immutable and thread-safe.
 *
 * @param prompt   the prompt text, verbatim; never null (may be empty for unconditional generation)
 * @param negative this prompt's negative prompt, overriding {@code params.negativePrompt}; null = not set
 * @param seed     this prompt's own seed, or null. A prompt with its own seed yields exactly one item, with that seed,
 *                 whatever the request's {@code seeds}
 * @param labels   labels carried to this prompt's items; never null, immutable, sorted by key
 */
public record PromptEntry(String prompt, String negative, Long seed, Map<String, String> labels) {

    public PromptEntry {
        Objects.requireNonNull(prompt, "prompt");
        labels = Labels.copy(labels);
    }

    public static PromptEntry of(String prompt) {
        return new PromptEntry(prompt, null, null, Map.of());
    }

    /** Whether the entry holds nothing but its prompt (then its canonical JSON form is a plain string). */
    boolean isPlain() {
        return negative == null && seed == null && labels.isEmpty();
    }
}
