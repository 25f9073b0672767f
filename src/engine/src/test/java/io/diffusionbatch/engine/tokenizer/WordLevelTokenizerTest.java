package io.diffusionbatch.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WordLevelTokenizer} with hand-written expected ids. */
class WordLevelTokenizerTest {

    /** id = line number: 0 pad, 1 unk, 2 bos, 3 eos, 4 a, 5 photo, 6 of, 7 cat, 8 dog, 9 café, 10 42, 11 x1. */
    private static final String VOCAB = "<pad>\n<unk>\n<bos>\n<eos>\na\nphoto\nof\ncat\ndog\ncafé\n42\nx1\n";

    @TempDir
    Path tmp;

    private Path folder(String vocab, String config) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "tok");
        if (vocab != null) {
            Files.writeString(dir.resolve("vocab.txt"), vocab, StandardCharsets.UTF_8);
        }
        if (config != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), config, StandardCharsets.UTF_8);
        }
        return dir;
    }

    private Tokenizer load(int maxLength) throws Exception {
        return Tokenizers.load(folder(VOCAB,
                "{\"tokenizer_type\": \"word-level\", \"model_max_length\": " + maxLength + "}"), 77);
    }

    @Test
    void encodesWithBosEosAndPadding() throws Exception {
        Tokenizer t = load(10);
        assertThat(t).isInstanceOf(WordLevelTokenizer.class);
        assertThat(t.maxLength()).isEqualTo(10);
        TokenizedPrompt p = t.encode("A photo of a CAT");
        assertThat(p.ids()).containsExactly(2, 4, 5, 6, 4, 7, 3, 0, 0, 0);
        assertThat(p.tokenCount()).isEqualTo(7);
        assertThat(p.truncated()).isFalse();
    }

    @Test
    void unknownWordsBecomeUnk() throws Exception {
        TokenizedPrompt p = load(8).encode("a photo of a zebra");
        assertThat(p.ids()).containsExactly(2, 4, 5, 6, 4, 1, 3, 0);
        assertThat(load(8).encode("don't").ids()).containsExactly(2, 1, 1, 3, 0, 0, 0, 0); // "don", "t"
    }

    @Test
    void punctuationSeparatesAndIsDropped() throws Exception {
        Tokenizer t = load(8);
        assertThat(t.encode("cat,dog!!a").ids()).containsExactly(2, 7, 8, 4, 3, 0, 0, 0);
        assertThat(t.encode("  Photo-of... 42 (x1)  ").ids()).containsExactly(2, 5, 6, 10, 11, 3, 0, 0);
        assertThat(t.encode("CAFÉ, café!").ids()).containsExactly(2, 9, 9, 3, 0, 0, 0, 0);
        assertThat(t.encode("x 1").ids()).containsExactly(2, 1, 1, 3, 0, 0, 0, 0); // "x1" only as one run
        assertThat(WordLevelTokenizer.words("Ab12_c\u00e9\tD")).containsExactly("ab12", "cé", "d");
    }

    @Test
    void emptyPromptIsBosEosPadding() throws Exception {
        TokenizedPrompt p = load(5).encode("");
        assertThat(p.ids()).containsExactly(2, 3, 0, 0, 0);
        assertThat(p.tokenCount()).isEqualTo(2);
        assertThat(p.truncated()).isFalse();
        assertThat(load(5).encode(" ,.; ").ids()).containsExactly(2, 3, 0, 0, 0);
    }

    @Test
    void truncationKeepsEosLast() throws Exception {
        TokenizedPrompt p = load(5).encode("a photo of a cat");
        assertThat(p.ids()).containsExactly(2, 4, 5, 6, 3);
        assertThat(p.tokenCount()).isEqualTo(7);
        assertThat(p.truncated()).isTrue();

        TokenizedPrompt exact = load(4).encode("a photo");
        assertThat(exact.ids()).containsExactly(2, 4, 5, 3);
        assertThat(exact.tokenCount()).isEqualTo(4);
        assertThat(exact.truncated()).isFalse();

        TokenizedPrompt onlySpecials = load(2).encode("cat");
        assertThat(onlySpecials.ids()).containsExactly(2, 3);
        assertThat(onlySpecials.truncated()).isTrue();
    }

    @Test
    void vocabularyWithoutBosEos() throws Exception {
        // 0 cat, 1 <unk>, 2 dog, 3 <pad>; CRLF line ends, no final newline
        Path dir = folder("cat\r\n<unk>\r\ndog\r\n<pad>", null);
        Tokenizer t = Tokenizers.load(dir, 4); // no config: fallback length
        assertThat(t.maxLength()).isEqualTo(4);
        assertThat(t.encode("dog cat").ids()).containsExactly(2, 0, 3, 3);
        TokenizedPrompt cut = t.encode("dog cat bird cat dog");
        assertThat(cut.ids()).containsExactly(2, 0, 1, 0);
        assertThat(cut.tokenCount()).isEqualTo(5);
        assertThat(cut.truncated()).isTrue();
        assertThat(t.encode("").ids()).containsExactly(3, 3, 3, 3);
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        Path configOnly = folder(null, "{\"tokenizer_type\": \"word-level\", \"model_max_length\": 8}");
        assertThatThrownBy(() -> Tokenizers.load(configOnly, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocab.txt");
        Path empty = folder(null, null);
        assertThatThrownBy(() -> Tokenizers.load(empty, 77))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab.txt").hasMessageContaining("merges.txt");
        assertThatThrownBy(() -> Tokenizers.load(tmp.resolve("nope"), 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
    }

    @Test
    void vocabularyMustHavePadAndUnk() throws Exception {
        Path noPad = folder("<unk>\na\n", null);
        assertThatThrownBy(() -> Tokenizers.load(noPad, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("<pad>");
        Path noUnk = folder("<pad>\na\n", null);
        assertThatThrownBy(() -> Tokenizers.load(noUnk, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("<unk>");
        Path duplicate = folder("<pad>\n<unk>\na\na\n", null);
        assertThatThrownBy(() -> Tokenizers.load(duplicate, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'").hasMessageContaining("line 4");
        Path blankLine = folder("<pad>\n\n<unk>\n", null);
        assertThatThrownBy(() -> Tokenizers.load(blankLine, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
    }

    @Test
    void badMaxLengthIsRejectedNamingTheField() throws Exception {
        for (String bad : new String[] {"0", "-3", "\"eight\"", "1.5", "1000000"}) {
            Path dir = folder(VOCAB, "{\"tokenizer_type\": \"word-level\", \"model_max_length\": " + bad + "}");
            assertThatThrownBy(() -> Tokenizers.load(dir, 77)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model_max_length");
        }
        // bos + eos need two slots
        Path tooShort = folder(VOCAB, "{\"tokenizer_type\": \"word-level\", \"model_max_length\": 1}");
        assertThatThrownBy(() -> Tokenizers.load(tooShort, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model_max_length");
        Path noConfig = folder(VOCAB, null);
        assertThatThrownBy(() -> Tokenizers.load(noConfig, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fallbackMaxLength");
    }

    @Test
    void badConfigFieldsAreRejected() throws Exception {
        Path wrongType = folder(VOCAB, "{\"tokenizer_type\": \"clip\", \"model_max_length\": 8}");
        assertThatThrownBy(() -> Tokenizers.load(wrongType, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenizer_type");
        Path notString = folder(VOCAB, "{\"tokenizer_type\": 3}");
        assertThatThrownBy(() -> Tokenizers.load(notString, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenizer_type");
        Path notObject = folder(VOCAB, "[]");
        assertThatThrownBy(() -> Tokenizers.load(notObject, 77))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenizer_config.json");
    }
}
