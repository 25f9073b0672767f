package io.diffusionbatch.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import tools.jackson.databind.JsonNode;

/**
 * A word-level tokenizer for small models. The {@code tokenizer/} folder holds
 * {@code vocab.txt} (one token per line, id = 0-based line number; must contain {@code <pad>}
 * and {@code <unk>}; {@code <bos>} / {@code <eos>}, if present, are added at the start / end) and
 * {@code tokenizer_config.json} ({@code {"tokenizer_type": "word-level", "model_max_length": N}}).
 *
 * <p>Text is lowercased ({@link Locale#ROOT}); tokens are maximal runs of code points for which
 * {@link Character#isLetterOrDigit(int)} holds (Unicode letters and decimal digits); everything
 * else separates tokens and is dropped. Unknown words become {@code <unk>}. Sequences are padded
 * with {@code <pad>}; a sequence that is too long is truncated keeping {@code <eos>} last.
 *
 * <p>Immutable and thread-safe. Arguments must not be null.
 */
public final class WordLevelTokenizer implements Tokenizer {

    static final String VOCAB_FILE = "vocab.txt";
    /** Value of {@code tokenizer_type} in {@code tokenizer_config.json}. */
    public static final String TYPE = "word-level";

    public static final String PAD = "<pad>";
    public static final String UNK = "<unk>";
    public static final String BOS = "<bos>";
    public static final String EOS = "<eos>";

    private final Map<String, Integer> vocab;
    private final int maxLength;
    private final long padId;
    private final long unkId;
    private final long bosId; // -1 when absent
    private final long eosId; // -1 when absent

    /**
     * @param tokens    the vocabulary in id order; must contain {@code <pad>} and {@code <unk>},
     *                  no duplicates and no empty tokens
     * @param maxLength sequence length; at least 1 and at least the number of bos/eos tokens
     */
    public WordLevelTokenizer(List<String> tokens, int maxLength) {
        Objects.requireNonNull(tokens, "tokens");
        Map<String, Integer> map = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException(VOCAB_FILE + ": line " + (i + 1) + " is empty; every line must hold one token");
            }
            Integer previous = map.putIfAbsent(token, i);
            if (previous != null) {
                throw new IllegalArgumentException(VOCAB_FILE + ": token '" + token + "' on line " + (i + 1)
                        + " repeats line " + (previous + 1));
            }
        }
        this.vocab = Map.copyOf(map);
        this.padId = required(PAD);
        this.unkId = required(UNK);
        this.bosId = vocab.getOrDefault(BOS, -1);
        this.eosId = vocab.getOrDefault(EOS, -1);
        int specials = (bosId >= 0 ? 1 : 0) + (eosId >= 0 ? 1 : 0);
        int min = Math.max(1, specials);
        if (maxLength < min || maxLength > TokenizerConfig.MAX_SEQUENCE_LENGTH) {
            throw new IllegalArgumentException("model_max_length must be between " + min + " and "
                    + TokenizerConfig.MAX_SEQUENCE_LENGTH + " for this vocabulary, got: " + maxLength);
        }
        this.maxLength = maxLength;
    }

    private long required(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException(VOCAB_FILE + " must contain the token " + token);
        }
        return id;
    }

    /**
     * Loads {@code vocab.txt} and (optional) {@code tokenizer_config.json} from a folder.
     *
     * @param tokenizerDir      the {@code tokenizer/} folder
     * @param fallbackMaxLength length used when the config is absent or sets no
     *                          {@code model_max_length}
     * @throws IllegalArgumentException naming the missing file or bad field
     * @throws UncheckedIOException     when a file cannot be read
     */
    public static WordLevelTokenizer load(Path tokenizerDir, int fallbackMaxLength) {
        Objects.requireNonNull(tokenizerDir, "tokenizerDir");
        Path vocabFile = tokenizerDir.resolve(VOCAB_FILE);
        ClipBpeTokenizer.requireFile(vocabFile);
        Path configFile = tokenizerDir.resolve(TokenizerConfig.CONFIG_FILE);
        JsonNode config = TokenizerConfig.readOptionalObject(configFile);
        String type = TokenizerConfig.stringField(config, "tokenizer_type", configFile);
        if (type != null && !TYPE.equals(type)) {
            throw new IllegalArgumentException(configFile + ": field 'tokenizer_type' must be '" + TYPE
                    + "' for a " + VOCAB_FILE + " vocabulary, got: '" + type + "'");
        }
        int maxLength = TokenizerConfig.maxLength(config, configFile, fallbackMaxLength, 1);
        return new WordLevelTokenizer(readVocab(vocabFile), maxLength);
    }

    private static List<String> readVocab(Path vocabFile) {
        String text;
        try {
            text = Files.readString(vocabFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + vocabFile, e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1); // the final newline ends the last line
        }
        lines.replaceAll(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
        return lines;
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    @Override
    public TokenizedPrompt encode(String prompt) {
        List<String> words = words(prompt);
        int specials = (bosId >= 0 ? 1 : 0) + (eosId >= 0 ? 1 : 0);
        int tokenCount = words.size() + specials;
        boolean truncated = tokenCount > maxLength;
        int kept = Math.min(words.size(), maxLength - specials);
        long[] ids = new long[maxLength];
        int pos = 0;
        if (bosId >= 0) {
            ids[pos++] = bosId;
        }
        for (int i = 0; i < kept; i++) {
            Integer id = vocab.get(words.get(i));
            ids[pos++] = id != null ? id : unkId;
        }
        if (eosId >= 0) {
            ids[pos++] = eosId;
        }
        Arrays.fill(ids, pos, maxLength, padId);
        return new TokenizedPrompt(ids, tokenCount, truncated);
    }

    /** The words of a prompt after lowercasing and splitting (before vocabulary lookup). */
    public static List<String> words(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        String text = prompt.toLowerCase(Locale.ROOT);
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (Character.isLetterOrDigit(cp)) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                words.add(text.substring(start, i));
                start = -1;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }
}
