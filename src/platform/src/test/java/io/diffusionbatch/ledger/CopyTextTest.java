package io.diffusionbatch.ledger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** COPY text-format escaping (PostgreSQL docs, "COPY ... Text Format"). */
class CopyTextTest {

    private static String esc(String s) {
        StringBuilder b = new StringBuilder();
        CopyText.field(b, s);
        return b.toString();
    }

    @Test
    void escapesTheCharactersThatWouldEndAFieldOrARow() {
        assertThat(esc("a\tb\nc\rd\\e")).isEqualTo("a\\tb\\nc\\rd\\\\e");
        assertThat(esc("'); DROP TABLE items; --")).isEqualTo("'); DROP TABLE items; --");
        assertThat(esc("ünïcödé ✓")).isEqualTo("ünïcödé ✓");
    }

    @Test
    void nullIsBackslashN() {
        assertThat(esc(null)).isEqualTo("\\N");
        assertThat(esc("\\N")).isEqualTo("\\\\N");
    }
}
