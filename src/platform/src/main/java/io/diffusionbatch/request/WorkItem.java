package io.diffusionbatch.request;

import java.util.Objects;

/**
 * One unit of work: one prompt with one seed. Immutable and thread-safe.
 *
 * @param index          the item's index in its request, 0-based (see {@link ItemExpansion} for the order)
 * @param prompt         the prompt, verbatim; never null
 * @param negativePrompt the effective negative prompt (the prompt's own, else the template's, else
 *                       {@code params.negativePrompt}, else empty); never null, empty = none
 * @param seed           the item's seed, 0 … 2^53 − 1
 * @param labels         the prompt's labels (for a template: slot name → value); never null, immutable, sorted by key
 */
public record WorkItem(long index, String prompt, String negativePrompt, long seed, java.util.Map<String, String> labels) {

    public WorkItem {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        labels = Labels.copy(labels);
    }
}
