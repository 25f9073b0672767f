package io.diffusionbatch.media;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small, deterministic PNG encoder: 8-bit truecolour (colour type 2), no interlace, one {@code IDAT}.
 *
 * <p>Chunk order: {@code IHDR}, the text chunks in the given order ({@code tEXt} or {@code iTXt}, see
 * {@link PngText}), {@code IDAT}, {@code IEND}. Each row's filter is chosen by the PNG specification's
 * minimum-sum-of-absolute-differences heuristic (ties go to the lower filter type), the image data is
 * compressed with {@link Deflater} at level {@value #DEFLATE_LEVEL}; iTXt text likewise. The output is a
 * pure function of the input on a given JVM/zlib: identical input gives identical bytes (no timestamps,
 * no {@code tIME} chunk).
 *
 * <p>Stateless and thread-safe. Null arguments are rejected with {@link NullPointerException}.
 */
public final class PngWriter {

    /** The fixed zlib compression level used for image data and compressed iTXt text. */
    public static final int DEFLATE_LEVEL = 6;

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngWriter() {
    }

    /** Encodes the image and text chunks to PNG bytes. */
    public static byte[] encode(RgbImage image, List<PngText> texts) {
        Objects.requireNonNull(image, "image must not be null");
        Objects.requireNonNull(texts, "texts must not be null");
        ByteArrayOutputStream out = new ByteArrayOutputStream(image.rgb().length / 2 + 1024);
        out.writeBytes(SIGNATURE);

        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, image.width());
        putInt(ihdr, 4, image.height());
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        writeChunk(out, "IHDR", ihdr);

        for (PngText t : texts) {
            Objects.requireNonNull(t, "texts must not contain null");
            if (t.writesAsItxt()) {
                writeChunk(out, "iTXt", itxtData(t));
            } else {
                writeChunk(out, "tEXt", textData(t));
            }
        }

        writeChunk(out, "IDAT", deflate(filter(image)));
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** Encodes and writes to {@code file} (via a temporary file in the same folder, then an atomic move). */
    public static void write(Path file, RgbImage image, List<PngText> texts) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        AtomicFiles.write(file, encode(image, texts));
    }

    private static byte[] textData(PngText t) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(t.keyword().getBytes(StandardCharsets.ISO_8859_1));
        b.write(0);
        b.writeBytes(t.text().getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }

    private static byte[] itxtData(PngText t) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(t.keyword().getBytes(StandardCharsets.ISO_8859_1));
        b.write(0);
        b.write(t.compressed() ? 1 : 0); // compression flag
        b.write(0);                      // compression method: zlib
        b.write(0);                      // empty language tag
        b.write(0);                      // empty translated keyword
        byte[] utf8 = t.text().getBytes(StandardCharsets.UTF_8);
        b.writeBytes(t.compressed() ? deflate(utf8) : utf8);
        return b.toByteArray();
    }

    /** Filtered scanlines: each row is prefixed by its filter type byte. */
    static byte[] filter(RgbImage image) {
        int stride = image.width() * 3;
        int h = image.height();
        byte[] src = image.rgb();
        byte[] out = new byte[(stride + 1) * h];
        byte[] zero = new byte[stride];
        byte[][] cand = new byte[5][stride];
        for (int y = 0; y < h; y++) {
            int cur = y * stride;
            byte[] prevRow = zero;
            int prev = 0;
            if (y > 0) {
                prevRow = src;
                prev = cur - stride;
            }
            int best = 0;
            long bestSum = Long.MAX_VALUE;
            for (int f = 0; f < 5; f++) {
                long sum = 0;
                byte[] c = cand[f];
                for (int i = 0; i < stride; i++) {
                    int x = src[cur + i] & 0xFF;
                    int a = i >= 3 ? src[cur + i - 3] & 0xFF : 0;
                    int up = prevRow[prev + i] & 0xFF;
                    int ul = i >= 3 ? prevRow[prev + i - 3] & 0xFF : 0;
                    int v = switch (f) {
                        case 0 -> x;
                        case 1 -> x - a;
                        case 2 -> x - up;
                        case 3 -> x - ((a + up) >>> 1);
                        default -> x - paeth(a, up, ul);
                    };
                    c[i] = (byte) v;
                    sum += Math.abs((int) (byte) v); // bytes as signed, per the spec's heuristic
                }
                if (sum < bestSum) {
                    bestSum = sum;
                    best = f;
                }
            }
            int o = y * (stride + 1);
            out[o] = (byte) best;
            System.arraycopy(cand[best], 0, out, o + 1, stride);
        }
        return out;
    }

    static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        if (pa <= pb && pa <= pc) {
            return a;
        }
        return pb <= pc ? b : c;
    }

    static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(DEFLATE_LEVEL);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buf = new byte[64 * 1024];
            while (!d.finished()) {
                int n = d.deflate(buf);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] len = new byte[4];
        putInt(len, 0, data.length);
        out.writeBytes(len);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        byte[] c = new byte[4];
        putInt(c, 0, (int) crc.getValue());
        out.writeBytes(c);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
