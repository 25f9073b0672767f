package io.diffusionbatch.engine.tokenizer;

/**
 * A prompt as token ids.
 *
 * @param ids        exactly {@code maxLength} ids, padded
 * @param tokenCount tokens the prompt produced before truncation, special tokens included
 * @param truncated  whether tokens were dropped to fit
 */
public record TokenizedPrompt(long[] ids, int tokenCount, boolean truncated) {
}
