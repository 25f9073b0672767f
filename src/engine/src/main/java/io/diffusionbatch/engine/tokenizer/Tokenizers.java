package io.diffusionbatch.engine.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import tools.jackson.databind.JsonNode;

/**
 * Chooses and loads the tokenizer a {@code tokenizer/} folder holds. Stateless and thread-safe.
 */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * Loads the tokenizer in {@code tokenizerDir}: {@code merges.txt} + {@code vocab.json} give a
     * {@link ClipBpeTokenizer}; {@code vocab.txt} gives a {@link WordLevelTokenizer}. A
     * {@code tokenizer_config.json} whose {@code tokenizer_type} is {@code "word-level"} forces
     * the latter.
     *
     * @param tokenizerDir      the folder; not null
     * @param fallbackMaxLength sequence length when the folder's config sets none
     * @return a thread-safe tokenizer
     * @throws IllegalArgumentException when the folder is missing, lacks a required file, or a
     *                                  file has a bad field (the message names it)
     * @throws java.io.UncheckedIOException when a file cannot be read
     */
    public static Tokenizer load(Path tokenizerDir, int fallbackMaxLength) {
        Objects.requireNonNull(tokenizerDir, "tokenizerDir");
        if (!Files.isDirectory(tokenizerDir)) {
            throw new IllegalArgumentException("tokenizer folder " + tokenizerDir + " does not exist");
        }
        Path configFile = tokenizerDir.resolve(TokenizerConfig.CONFIG_FILE);
        JsonNode config = TokenizerConfig.readOptionalObject(configFile);
        String type = TokenizerConfig.stringField(config, "tokenizer_type", configFile);
        if (WordLevelTokenizer.TYPE.equals(type)) {
            return WordLevelTokenizer.load(tokenizerDir, fallbackMaxLength);
        }
        boolean merges = Files.isRegularFile(tokenizerDir.resolve(ClipBpeTokenizer.MERGES_FILE));
        boolean vocabJson = Files.isRegularFile(tokenizerDir.resolve(ClipBpeTokenizer.VOCAB_FILE));
        if (merges || vocabJson) {
            return ClipBpeTokenizer.load(tokenizerDir, fallbackMaxLength); // names the missing half
        }
        if (Files.isRegularFile(tokenizerDir.resolve(WordLevelTokenizer.VOCAB_FILE))) {
            return WordLevelTokenizer.load(tokenizerDir, fallbackMaxLength);
        }
        throw new IllegalArgumentException("tokenizer folder " + tokenizerDir + " holds no tokenizer: expected "
                + ClipBpeTokenizer.MERGES_FILE + " + " + ClipBpeTokenizer.VOCAB_FILE + " (CLIP BPE) or "
                + WordLevelTokenizer.VOCAB_FILE + " (word-level)");
    }
}
