package io.diffusionbatch.media;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Written outputs read back into the engine's layout, checked value by value. */
class OutputReaderTest {

    @TempDir
    Path dir;

    /** A 5×3 image whose pixel (x, y) is (10x + y, 40 + x, 255 − y) in 8-bit values. */
    private static RgbImage pattern(int shift) {
        byte[] rgb = new byte[3 * 5 * 3];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                int p = 3 * (y * 5 + x);
                rgb[p] = (byte) (10 * x + y + shift);
                rgb[p + 1] = (byte) (40 + x);
                rgb[p + 2] = (byte) (255 - y);
            }
        }
        return new RgbImage(5, 3, rgb);
    }

    @Test
    void pngIsReadChannelMajorWithValuesOver127Point5MinusOne() throws Exception {
        Path f = dir.resolve("a.png");
        PngWriter.write(f, pattern(0), List.of());
        OutputReader.Decoded d = OutputReader.read(f, "image/png");
        assertThat(d.frames()).isEqualTo(1);
        assertThat(d.height()).isEqualTo(3);
        assertThat(d.width()).isEqualTo(5);
        // pixel (x=4, y=2): R = 42, G = 44, B = 253
        int hw = 15;
        int p = 2 * 5 + 4;
        assertThat(d.data()[p]).isEqualTo(42 / 127.5f - 1);
        assertThat(d.data()[hw + p]).isEqualTo(44 / 127.5f - 1);
        assertThat(d.data()[2 * hw + p]).isEqualTo(253 / 127.5f - 1);
    }

    @Test
    void gifFramesAreStackedInOrder() throws Exception {
        Path f = dir.resolve("a.gif");
        GifWriter.write(f, List.of(pattern(0), pattern(100)), 8);
        OutputReader.Decoded d = OutputReader.read(f, "image/gif");
        assertThat(d.frames()).isEqualTo(2);
        // few colours: the GIF palette holds them exactly
        assertThat(d.data()[0]).isEqualTo(0 / 127.5f - 1);
        assertThat(d.data()[3 * 15]).isEqualTo(100 / 127.5f - 1);
    }

    @Test
    void npyIsReturnedAsStoredForImagesAndVideos() throws Exception {
        float[] v = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i / 24f - 0.5f;
        }
        Path f = dir.resolve("v.npy");
        NpyWriter.write(f, v, 1, 2, 3, 2, 2);
        OutputReader.Decoded d = OutputReader.read(f, "application/x-npy");
        assertThat(d.frames()).isEqualTo(2);
        assertThat(d.data()).containsExactly(v);
        NpyWriter.write(f, new float[12], 3, 2, 2);
        assertThat(OutputReader.read(f, "application/x-npy").frames()).isEqualTo(1);
        NpyWriter.write(f, new float[12], 4, 3);
        assertThatThrownBy(() -> OutputReader.read(f, "application/x-npy")).hasMessageContaining("npy shape [4, 3]");
    }

    @Test
    void mp4AndBrokenFilesAreRefusedWithTheReason() throws Exception {
        Path f = dir.resolve("x.mp4");
        Files.write(f, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OutputReader.read(f, "video/mp4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("media_type: video/mp4");
        assertThatThrownBy(() -> OutputReader.read(f, "image/png")).hasMessageContaining("not a readable image");
    }
}
