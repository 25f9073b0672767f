package io.diffusionbatch.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which implementation {@link Tokenizers#load} picks from the files present. */
class TokenizersTest {

    @TempDir
    Path tmp;

    private Path clipTiny() throws Exception {
        return Path.of(getClass().getResource("/tokenizer/clip-tiny/vocab.json").toURI()).getParent();
    }

    private Path bothKinds() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("both"));
        Files.copy(clipTiny().resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(clipTiny().resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("vocab.txt"), "<pad>\n<unk>\ncat\n");
        return dir;
    }

    @Test
    void bpeFilesWinOverVocabTxt() throws Exception {
        assertThat(Tokenizers.load(bothKinds(), 77)).isInstanceOf(ClipBpeTokenizer.class);
    }

    @Test
    void wordLevelTypeInConfigForcesWordLevel() throws Exception {
        Path dir = bothKinds();
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"tokenizer_type\": \"word-level\", \"model_max_length\": 3}");
        Tokenizer t = Tokenizers.load(dir, 77);
        assertThat(t).isInstanceOf(WordLevelTokenizer.class);
        assertThat(t.encode("cat dog").ids()).containsExactly(2, 1, 0);
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> Tokenizers.load(null, 77)).isInstanceOf(NullPointerException.class);
    }
}
