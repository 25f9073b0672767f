package io.diffusionbatch.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;

/**
 * CLIP's byte-level BPE tokenizer, reading the files Stable Diffusion folders ship in
 * {@code tokenizer/}: {@code vocab.json}, {@code merges.txt} and optionally
 * {@code tokenizer_config.json} / {@code special_tokens_map.json}.
 *
 * <p>Encoding follows openai/CLIP's {@code simple_tokenizer.py} and transformers'
 * {@code CLIPTokenizer} without ftfy: Unicode NFC normalization, whitespace runs collapsed to one
 * space and stripped, lowercase ({@link Locale#ROOT}), CLIP's pre-tokenization regex, UTF-8 bytes
 * mapped through {@code bytes_to_unicode}, {@code </w>} appended to the last symbol of each word,
 * and merges applied lowest rank first. The result is {@code bos + tokens + eos}, truncated to
 * {@link #maxLength()} with the end-of-text token kept last, then padded with the pad token
 * ({@code <|endoftext|>} for SD 1.x, {@code !} for SD 2.x). ftfy's mojibake repairs and
 * control-character removal are not applied, and CJK ideographs are not split apart the way
 * transformers' ftfy-less fallback (BasicTokenizer) does; the text path is that of the ftfy
 * variant. In {@code merges.txt} a first line starting with {@code #version} is skipped (the
 * references skip line 1 unconditionally) and all rules are used (CLIP caps them at 48,894,
 * which the shipped files never exceed).
 *
 * <p>Immutable after construction and thread-safe: the BPE cache is a {@link ConcurrentHashMap}
 * (bounded in size). Arguments must not be null.
 */
public final class ClipBpeTokenizer implements Tokenizer {

    static final String VOCAB_FILE = "vocab.json";
    static final String MERGES_FILE = "merges.txt";

    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";
    static final String END_OF_WORD = "</w>";

    /** Default sequence length of CLIP text encoders. */
    public static final int DEFAULT_MAX_LENGTH = 77;

    /** CLIP's pre-tokenization regex (applied after lowercasing). */
    private static final Pattern PRE_TOKENIZE = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");

    private static final int CACHE_LIMIT = 50_000;

    /** bytes_to_unicode: byte value -> printable character standing for it. */
    private static final char[] BYTE_ENCODER = bytesToUnicode();

    private final Map<String, Integer> encoder;
    private final Map<String, Integer> mergeRanks;
    private final int maxLength;
    private final long bosId;
    private final long eosId;
    private final long padId;
    private final long unkId;
    private final ConcurrentHashMap<String, List<String>> cache = new ConcurrentHashMap<>();

    /**
     * Builds a tokenizer from parsed data.
     *
     * @param vocab     token string to id; must contain the four special tokens
     * @param merges    merge rules in rank order, each a pair of symbols
     * @param maxLength sequence length, at least 2
     * @param bosToken  start token (normally {@code <|startoftext|>})
     * @param eosToken  end token (normally {@code <|endoftext|>})
     * @param padToken  pad token ({@code <|endoftext|>} or {@code !})
     * @param unkToken  token for symbols missing from the vocabulary
     */
    public ClipBpeTokenizer(Map<String, Integer> vocab, List<String[]> merges, int maxLength,
                            String bosToken, String eosToken, String padToken, String unkToken) {
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(merges, "merges");
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2 (start and end token), got: "
                    + maxLength);
        }
        this.encoder = Map.copyOf(vocab);
        Map<String, Integer> ranks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) {
            String[] pair = merges.get(i);
            if (pair == null || pair.length != 2) {
                throw new IllegalArgumentException("merge rule " + i + " must be a pair of symbols");
            }
            ranks.put(pairKey(pair[0], pair[1]), i); // a repeated rule keeps its last rank, as in CLIP
        }
        this.mergeRanks = Collections.unmodifiableMap(ranks);
        this.maxLength = maxLength;
        this.bosId = requireToken("bos_token", bosToken);
        this.eosId = requireToken("eos_token", eosToken);
        this.padId = requireToken("pad_token", padToken);
        this.unkId = requireToken("unk_token", unkToken);
        cache.put(START_OF_TEXT, List.of(START_OF_TEXT));
        cache.put(END_OF_TEXT, List.of(END_OF_TEXT));
    }

    private long requireToken(String field, String token) {
        Objects.requireNonNull(token, field);
        Integer id = encoder.get(token);
        if (id == null) {
            throw new IllegalArgumentException(field + " '" + token + "' is not in " + VOCAB_FILE);
        }
        return id;
    }

    /**
     * Loads {@code vocab.json} and {@code merges.txt} from a tokenizer folder; special tokens and
     * {@code model_max_length} come from {@code tokenizer_config.json}, overridden by
     * {@code special_tokens_map.json} (as transformers does), with CLIP's defaults otherwise.
     *
     * @param tokenizerDir      the {@code tokenizer/} folder
     * @param fallbackMaxLength length used when the config sets none
     * @throws IllegalArgumentException naming the missing file or bad field
     * @throws UncheckedIOException     when a file cannot be read
     */
    public static ClipBpeTokenizer load(Path tokenizerDir, int fallbackMaxLength) {
        Objects.requireNonNull(tokenizerDir, "tokenizerDir");
        Path vocabFile = tokenizerDir.resolve(VOCAB_FILE);
        Path mergesFile = tokenizerDir.resolve(MERGES_FILE);
        requireFile(vocabFile);
        requireFile(mergesFile);
        Map<String, Integer> vocab = readVocab(vocabFile);
        List<String[]> merges = readMerges(mergesFile);

        Path configFile = tokenizerDir.resolve(TokenizerConfig.CONFIG_FILE);
        Path specialFile = tokenizerDir.resolve(TokenizerConfig.SPECIAL_TOKENS_FILE);
        JsonNode config = TokenizerConfig.readOptionalObject(configFile);
        JsonNode special = TokenizerConfig.readOptionalObject(specialFile);
        int maxLength = TokenizerConfig.maxLength(config, configFile, fallbackMaxLength, 2);
        String bos = special(config, configFile, special, specialFile, "bos_token", START_OF_TEXT);
        String eos = special(config, configFile, special, specialFile, "eos_token", END_OF_TEXT);
        String pad = special(config, configFile, special, specialFile, "pad_token", END_OF_TEXT);
        String unk = special(config, configFile, special, specialFile, "unk_token", END_OF_TEXT);
        return new ClipBpeTokenizer(vocab, merges, maxLength, bos, eos, pad, unk);
    }

    private static String special(JsonNode config, Path configFile, JsonNode special, Path specialFile,
                                  String field, String fallback) {
        String fromMap = TokenizerConfig.specialToken(special, field, specialFile);
        if (fromMap != null) {
            return fromMap;
        }
        String fromConfig = TokenizerConfig.specialToken(config, field, configFile);
        return fromConfig != null ? fromConfig : fallback;
    }

    static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer file " + file.getFileName() + " is missing in "
                    + file.getParent());
        }
    }

    private static Map<String, Integer> readVocab(Path vocabFile) {
        JsonNode root = TokenizerConfig.readObject(vocabFile);
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw new IllegalArgumentException(vocabFile + ": token '" + e.getKey()
                        + "' must map to a non-negative integer id, got: " + id);
            }
            vocab.put(e.getKey(), id.asInt());
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException(vocabFile + " holds no tokens");
        }
        return vocab;
    }

    private static List<String[]> readMerges(Path mergesFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + mergesFile, e);
        }
        List<String[]> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException(mergesFile + ": line " + (i + 1)
                        + " must hold two symbols separated by one space, got: '" + line + "'");
            }
            merges.add(parts);
        }
        return merges;
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    @Override
    public TokenizedPrompt encode(String prompt) {
        List<String> tokens = bpeTokens(prompt);
        int tokenCount = tokens.size() + 2;
        boolean truncated = tokenCount > maxLength;
        int kept = Math.min(tokens.size(), maxLength - 2);
        long[] ids = new long[maxLength];
        ids[0] = bosId;
        for (int i = 0; i < kept; i++) {
            Integer id = encoder.get(tokens.get(i));
            ids[i + 1] = id != null ? id : unkId;
        }
        ids[kept + 1] = eosId;
        Arrays.fill(ids, kept + 2, maxLength, padId);
        return new TokenizedPrompt(ids, tokenCount, truncated);
    }

    /**
     * The BPE token strings of a prompt, without start/end tokens, padding or truncation (for
     * diagnostics and tests).
     */
    public List<String> bpeTokens(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        String text = clean(prompt);
        List<String> out = new ArrayList<>();
        Matcher m = PRE_TOKENIZE.matcher(text);
        while (m.find()) {
            out.addAll(bpe(byteEncode(m.group())));
        }
        return out;
    }

    /** NFC, whitespace runs to one space, strip, lowercase. */
    static String clean(String prompt) {
        String text = Normalizer.normalize(prompt, Normalizer.Form.NFC);
        StringBuilder sb = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isPythonWhitespace(cp)) {
                pendingSpace = sb.length() > 0;
            } else {
                if (pendingSpace) {
                    sb.append(' ');
                    pendingSpace = false;
                }
                sb.appendCodePoint(cp);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    /** Python's {@code str.isspace()} (what {@code \s} matches in {@code re}). */
    static boolean isPythonWhitespace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    private static String byteEncode(String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_ENCODER[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    private List<String> bpe(String token) {
        List<String> cached = cache.get(token);
        if (cached != null) {
            return cached;
        }
        List<String> word = new ArrayList<>(token.length());
        for (int i = 0; i < token.length(); i++) {
            word.add(String.valueOf(token.charAt(i)));
        }
        int last = word.size() - 1;
        word.set(last, word.get(last) + END_OF_WORD);
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = mergeRanks.get(pairKey(word.get(i), word.get(i + 1)));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); ) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i));
                    i++;
                }
            }
            word = merged;
        }
        List<String> result = List.copyOf(word);
        if (cache.size() < CACHE_LIMIT) {
            cache.putIfAbsent(token, result);
        }
        return result;
    }

    private static String pairKey(String first, String second) {
        return first + ' ' + second;
    }

    /** GPT-2/CLIP bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
    private static char[] bytesToUnicode() {
        char[] table = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable[b] ? (char) b : (char) (256 + n++);
        }
        return table;
    }
}
