package io.diffusionbatch.engine;

import java.util.Objects;

/**
 * One item to generate.
 *
 * @param prompt         the prompt; empty for unconditional models, never null
 * @param negativePrompt the negative prompt used as the unconditional branch of guidance; empty = none
 * @param seed           the item's seed: its noise is a function of this alone
 * @param params         the sampling settings
 */
public record GenerationSpec(String prompt, String negativePrompt, long seed, SamplingParams params) {

    public GenerationSpec {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        Objects.requireNonNull(params, "params");
    }
}
