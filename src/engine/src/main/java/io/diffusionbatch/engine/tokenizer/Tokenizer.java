package io.diffusionbatch.engine.tokenizer;

/**
 * Turns a prompt into the fixed-length id sequence a text encoder takes.
 *
 * <p>Implementations are immutable after construction and <b>thread-safe</b>. The prompt must
 * not be null (an empty prompt is valid and encodes to start/end/padding tokens only).
 */
public interface Tokenizer {

    /** Length of every encoded sequence (the text encoder's context length). */
    int maxLength();

    /**
     * Encodes a prompt, padded to {@link #maxLength()}; a prompt that does not fit is truncated
     * (keeping the end-of-text token where the tokenizer has one) and says so.
     */
    TokenizedPrompt encode(String prompt);
}
