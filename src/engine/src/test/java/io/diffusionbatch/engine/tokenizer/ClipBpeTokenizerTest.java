package io.diffusionbatch.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.JsonNode;

/**
 * Checks {@link ClipBpeTokenizer} against the independent Python implementation in
 * {@code tools/clip_bpe_reference.py}, which learned the tiny vocabulary in
 * {@code tokenizer/clip-tiny} and wrote the expected ids to {@code expected.json}.
 */
class ClipBpeTokenizerTest {

    private static Path clipTiny;
    private static JsonNode expected;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadFixture() throws URISyntaxException {
        clipTiny = Path.of(ClipBpeTokenizerTest.class.getResource("/tokenizer/clip-tiny/vocab.json").toURI())
                .getParent();
        expected = TokenizerConfig.readObject(clipTiny.resolve("expected.json"));
        assertThat(expected.get("cases").size()).isGreaterThanOrEqualTo(30);
    }

    private static long[] ids(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.stringValue()));
        return out;
    }

    private static void assertMatches(Tokenizer tokenizer, String config) {
        int truncatedCases = 0;
        for (JsonNode c : expected.get("cases")) {
            String prompt = c.get("prompt").stringValue();
            JsonNode want = c.get(config);
            TokenizedPrompt got = tokenizer.encode(prompt);
            String what = config + " prompt [" + prompt + "]";
            assertThat(got.ids()).as(what).containsExactly(ids(want.get("ids")));
            assertThat(got.tokenCount()).as(what).isEqualTo(want.get("token_count").asInt());
            assertThat(got.truncated()).as(what).isEqualTo(want.get("truncated").asBoolean());
            if (got.truncated()) {
                truncatedCases++;
            }
        }
        assertThat(truncatedCases).as("fixture covers truncation").isPositive();
    }

    private Path copyVocabAndMerges() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("tok"));
        Files.copy(clipTiny.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(clipTiny.resolve("merges.txt"), dir.resolve("merges.txt"));
        return dir;
    }

    private static void write(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    @Test
    void bpeTokensMatchPythonReference() {
        ClipBpeTokenizer tokenizer = ClipBpeTokenizer.load(clipTiny, 77);
        for (JsonNode c : expected.get("cases")) {
            String prompt = c.get("prompt").stringValue();
            assertThat(tokenizer.bpeTokens(prompt)).as("prompt [" + prompt + "]")
                    .containsExactlyElementsOf(strings(c.get("tokens")));
        }
    }

    @Test
    void sd1StyleIdsMatchPythonReference() {
        Tokenizer tokenizer = Tokenizers.load(clipTiny, 5);
        assertThat(tokenizer).isInstanceOf(ClipBpeTokenizer.class);
        assertThat(tokenizer.maxLength()).isEqualTo(77); // from tokenizer_config.json, not the fallback
        assertMatches(tokenizer, "sd1");
    }

    @Test
    void sd2StylePadFromSpecialTokensMapMatchesPythonReference() throws Exception {
        JsonNode cfg = expected.get("configs").get("sd2");
        Path dir = copyVocabAndMerges();
        // tokenizer_config says <|endoftext|>, special_tokens_map (object form) overrides it with "!"
        write(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": " + cfg.get("model_max_length").asInt()
                + ", \"pad_token\": \"<|endoftext|>\"}");
        write(dir.resolve("special_tokens_map.json"), "{\"pad_token\": {\"content\": \""
                + cfg.get("pad_token").stringValue() + "\", \"lstrip\": false, \"normalized\": true}}");
        Tokenizer tokenizer = Tokenizers.load(dir, 77);
        assertThat(tokenizer.maxLength()).isEqualTo(24);
        assertMatches(tokenizer, "sd2");
    }

    @Test
    void emptyPromptIsStartEndAndPadding() {
        Tokenizer tokenizer = Tokenizers.load(clipTiny, 77);
        TokenizedPrompt p = tokenizer.encode("");
        assertThat(p.tokenCount()).isEqualTo(2);
        assertThat(p.truncated()).isFalse();
        assertThat(p.ids()).hasSize(77);
        long eot = p.ids()[1];
        assertThat(p.ids()[0]).isNotEqualTo(eot);
        for (int i = 2; i < 77; i++) {
            assertThat(p.ids()[i]).isEqualTo(eot); // SD 1.x pads with <|endoftext|>
        }
    }

    @Test
    void truncationKeepsEndOfTextLast() {
        Tokenizer tokenizer = Tokenizers.load(clipTiny, 77);
        long eot = tokenizer.encode("").ids()[1];
        TokenizedPrompt p = tokenizer.encode("a ".repeat(200));
        assertThat(p.truncated()).isTrue();
        assertThat(p.tokenCount()).isEqualTo(202);
        assertThat(p.ids()[76]).isEqualTo(eot);
        assertThat(p.ids()[75]).isNotEqualTo(eot);
    }

    @Test
    void missingMaxLengthAndUnlimitedSentinelUseFallback() throws Exception {
        Path dir = copyVocabAndMerges();
        assertThat(Tokenizers.load(dir, 33).maxLength()).isEqualTo(33); // no config at all
        write(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1000000000000000019884624838656}");
        assertThat(Tokenizers.load(dir, 40).maxLength()).isEqualTo(40);
        write(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1e30}");
        assertThat(Tokenizers.load(dir, 41).maxLength()).isEqualTo(41);
    }

    @Test
    void defaultsWithoutConfigAreSd1Style() throws Exception {
        Path dir = copyVocabAndMerges();
        TokenizedPrompt fromDefaults = Tokenizers.load(dir, 77).encode("a photo of a cat");
        TokenizedPrompt fromConfig = Tokenizers.load(clipTiny, 77).encode("a photo of a cat");
        assertThat(fromDefaults.ids()).containsExactly(fromConfig.ids());
    }

    @Test
    void badModelMaxLengthIsRejectedNamingTheField() throws Exception {
        Path dir = copyVocabAndMerges();
        for (String bad : new String[] {"\"77\"", "1", "0", "-5", "12.5", "100000000", "true"}) {
            write(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": " + bad + "}");
            assertThatThrownBy(() -> Tokenizers.load(dir, 77)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("model_max_length");
        }
        Files.delete(dir.resolve("tokenizer_config.json"));
        assertThatThrownBy(() -> Tokenizers.load(dir, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fallbackMaxLength");
    }

    @Test
    void specialTokenNotInVocabIsRejected() throws Exception {
        Path dir = copyVocabAndMerges();
        write(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir, 77))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pad_token").hasMessageContaining("<pad>");
        write(dir.resolve("special_tokens_map.json"), "{\"bos_token\": 5}");
        assertThatThrownBy(() -> Tokenizers.load(dir, 77))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bos_token");
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        Path onlyVocab = Files.createDirectory(tmp.resolve("v"));
        Files.copy(clipTiny.resolve("vocab.json"), onlyVocab.resolve("vocab.json"));
        assertThatThrownBy(() -> Tokenizers.load(onlyVocab, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("merges.txt");
        Path onlyMerges = Files.createDirectory(tmp.resolve("m"));
        Files.copy(clipTiny.resolve("merges.txt"), onlyMerges.resolve("merges.txt"));
        assertThatThrownBy(() -> Tokenizers.load(onlyMerges, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocab.json");
    }

    @Test
    void malformedFilesAreRejected() throws Exception {
        Path dir = copyVocabAndMerges();
        write(dir.resolve("merges.txt"), "#version: 0.2\na b\nabc\n");
        assertThatThrownBy(() -> Tokenizers.load(dir, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 3");
        Files.copy(clipTiny.resolve("merges.txt"), dir.resolve("merges.txt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        write(dir.resolve("vocab.json"), "{\"a\": \"x\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
        write(dir.resolve("vocab.json"), "[1, 2");
        assertThatThrownBy(() -> Tokenizers.load(dir, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocab.json");
    }

    @Test
    void concurrentEncodingMatchesSequential() throws Exception {
        ClipBpeTokenizer shared = ClipBpeTokenizer.load(clipTiny, 77); // fresh, empty cache
        List<String> prompts = new ArrayList<>();
        List<long[]> want = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            prompts.add(c.get("prompt").stringValue());
            want.add(ids(c.get("sd1").get("ids")));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < prompts.size(); i++) {
                            int k = (i + offset * 7 + round) % prompts.size();
                            if (!java.util.Arrays.equals(shared.encode(prompts.get(k)).ids(), want.get(k))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nullPromptIsRejected() {
        Tokenizer tokenizer = Tokenizers.load(clipTiny, 77);
        assertThatThrownBy(() -> tokenizer.encode(null)).isInstanceOf(NullPointerException.class);
    }
}
