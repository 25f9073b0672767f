package io.diffusionbatch.media;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One PNG text chunk to write.
 *
 * <p>With {@code international == false} the encoder writes a {@code tEXt} chunk (Latin-1) if the text is
 * representable in Latin-1, otherwise it switches to {@code iTXt} (UTF-8) automatically. With
 * {@code international == true} it always writes {@code iTXt}. {@code compressed} applies only to
 * {@code iTXt} (zlib-compressed text, compression flag 1); {@code tEXt} is never compressed.
 *
 * <p>The keyword is validated against the PNG specification (section 11.3.4): 1 to 79 bytes of printable
 * Latin-1 (32..126, 161..255), no leading, trailing or consecutive spaces. The text must not contain NUL.
 * Immutable and thread-safe; null components are rejected.
 */
public record PngText(String keyword, String text, boolean international, boolean compressed) {

    public PngText {
        validateKeyword(keyword);
        Objects.requireNonNull(text, "text must not be null");
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("text of PNG text chunk '" + keyword + "' must not contain NUL");
        }
    }

    /** Uncompressed chunk; {@code tEXt} unless {@code international} or the text is not Latin-1. */
    public PngText(String keyword, String text, boolean international) {
        this(keyword, text, international, false);
    }

    /** A {@code tEXt} chunk (falls back to {@code iTXt} when the text is not Latin-1). */
    public static PngText latin1(String keyword, String text) {
        return new PngText(keyword, text, false, false);
    }

    /** An uncompressed UTF-8 {@code iTXt} chunk. */
    public static PngText international(String keyword, String text) {
        return new PngText(keyword, text, true, false);
    }

    /** True when this chunk is written as {@code iTXt} (international, or text outside Latin-1). */
    public boolean writesAsItxt() {
        return international || !isLatin1(text);
    }

    static boolean isLatin1(String s) {
        return StandardCharsets.ISO_8859_1.newEncoder().canEncode(s);
    }

    /**
     * Validates a PNG text keyword.
     *
     * @throws IllegalArgumentException naming the rule that is broken
     */
    public static void validateKeyword(String keyword) {
        Objects.requireNonNull(keyword, "keyword must not be null");
        int n = keyword.length();
        if (n < 1 || n > 79) {
            throw new IllegalArgumentException("PNG keyword must be 1..79 characters, got " + n + ": '" + keyword + "'");
        }
        for (int i = 0; i < n; i++) {
            char c = keyword.charAt(i);
            if (!(c >= 32 && c <= 126) && !(c >= 161 && c <= 255)) {
                throw new IllegalArgumentException("PNG keyword must be printable Latin-1 (32..126, 161..255); '"
                        + keyword + "' has U+" + String.format("%04X", (int) c) + " at index " + i);
            }
        }
        if (keyword.charAt(0) == ' ' || keyword.charAt(n - 1) == ' ') {
            throw new IllegalArgumentException("PNG keyword must not start or end with a space: '" + keyword + "'");
        }
        if (keyword.contains("  ")) {
            throw new IllegalArgumentException("PNG keyword must not contain consecutive spaces: '" + keyword + "'");
        }
    }
}
