package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixtures in src/engine/src/test/resources/io/diffusionbatch/media were written with numpy 1.24.2 by
 * <pre>
 * /usr/bin/python3 -c "import numpy as np; \
 *   np.save('tiny_2x3.npy', np.array([[0.0, 1.0, -2.5], [3.25, 1e-8, -0.0]], dtype='&lt;f4')); \
 *   np.save('tiny_1d_5.npy', np.arange(5, dtype='&lt;f4') * 0.5); \
 *   np.save('tiny_scalar.npy', np.array(7.5, dtype='&lt;f4')); \
 *   np.save('tiny_17d.npy', (np.arange(6, dtype='&lt;f4') - 2.5).reshape((3,) + (1,)*15 + (2,)))"
 * </pre>
 * The 17-d file is there because only a long header shows numpy's spare "growth axis" spaces: with them its
 * header is 192 bytes, without them it would be 128.
 */
class NpyTest {

    static final float[] DATA_2X3 = {0.0f, 1.0f, -2.5f, 3.25f, 1e-8f, -0.0f};

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream(name)) {
            assertThat(in).as("fixture " + name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void headerAndDataMatchHandComputedBytes() {
        byte[] npy = NpyWriter.encode(DATA_2X3, 2, 3);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        // 10 prefix bytes + 59 dict + 20 growth spaces (21 - len("2")) + padding + '\n' = 128 (next multiple of 64)
        assertThat(dict).hasSize(59);
        byte[] expected = new byte[128 + 24];
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0};
        System.arraycopy(prefix, 0, expected, 0, 10);
        byte[] d = dict.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(d, 0, expected, 10, d.length);
        Arrays.fill(expected, 10 + d.length, 127, (byte) ' ');
        expected[127] = '\n';
        int[] words = {0x00000000, 0x3F800000, 0xC0200000, 0x40500000, 0x322BCC77, 0x80000000}; // IEEE-754 by hand
        for (int i = 0; i < words.length; i++) {
            for (int b = 0; b < 4; b++) {
                expected[128 + i * 4 + b] = (byte) (words[i] >>> (8 * b)); // little-endian
            }
        }
        assertThat(npy).isEqualTo(expected);
    }

    @Test
    void writerOutputIsByteIdenticalToNumpySave() throws IOException {
        assertThat(NpyWriter.encode(DATA_2X3, 2, 3)).isEqualTo(fixture("tiny_2x3.npy"));
        assertThat(NpyWriter.encode(new float[]{0f, 0.5f, 1f, 1.5f, 2f}, 5)).isEqualTo(fixture("tiny_1d_5.npy"));
        assertThat(NpyWriter.encode(new float[]{7.5f})).isEqualTo(fixture("tiny_scalar.npy"));
        int[] shape17 = new int[17];
        java.util.Arrays.fill(shape17, 1);
        shape17[0] = 3;
        shape17[16] = 2;
        byte[] npy17 = NpyWriter.encode(new float[]{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, shape17);
        assertThat(npy17).hasSize(192 + 24).isEqualTo(fixture("tiny_17d.npy"));
        assertThat(NpyReader.decode(npy17).shape()).containsExactly(shape17);
    }

    @Test
    void readerReadsNumpyFiles() throws IOException {
        NpyArray a = NpyReader.decode(fixture("tiny_2x3.npy"));
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.data()).containsExactly(DATA_2X3);
        assertThat(Float.floatToRawIntBits(a.data()[5])).isEqualTo(0x80000000); // -0.0 kept
        assertThat(NpyReader.decode(fixture("tiny_1d_5.npy")))
                .isEqualTo(new NpyArray(new int[]{5}, new float[]{0f, 0.5f, 1f, 1.5f, 2f}));
        NpyArray s = NpyReader.decode(fixture("tiny_scalar.npy"));
        assertThat(s.shape()).isEmpty();
        assertThat(s.data()).containsExactly(7.5f);
    }

    @Test
    void headersAreAlignedForManyShapesAndRoundTrip(@TempDir Path dir) throws IOException {
        int[][] shapes = {{1}, {0}, {1, 4, 64, 64}, {123456789, 0}, {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3}};
        for (int[] shape : shapes) {
            int n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                data[i] = i * 0.25f - 3f;
            }
            Path f = dir.resolve("a.npy");
            NpyWriter.write(f, data, shape);
            byte[] bytes = Files.readAllBytes(f);
            int headerLen = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
            assertThat((10 + headerLen) % 64).as(Arrays.toString(shape)).isZero();
            assertThat(bytes[10 + headerLen - 1]).isEqualTo((byte) '\n');
            assertThat(bytes.length).isEqualTo(10 + headerLen + 4 * n);
            assertThat(NpyReader.read(f)).isEqualTo(new NpyArray(shape, data));
        }
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> NpyWriter.encode(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds 6 elements but data has 5");
        assertThatThrownBy(() -> NpyWriter.encode(new float[0], -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
        byte[] f8 = NpyWriter.encode(new float[]{1f}, 1);
        byte[] asF8 = new String(f8, StandardCharsets.ISO_8859_1).replace("'<f4'", "'<f8'").getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> NpyReader.decode(asF8)).hasMessageContaining("'<f4'");
        byte[] bad = f8.clone();
        bad[1] = 'X';
        assertThatThrownBy(() -> NpyReader.decode(bad)).hasMessageContaining("magic");
        assertThatThrownBy(() -> NpyReader.decode(Arrays.copyOf(f8, f8.length - 1))).hasMessageContaining("data bytes");
    }
}
