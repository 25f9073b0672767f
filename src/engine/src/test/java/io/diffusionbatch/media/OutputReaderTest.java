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
    void brokenFilesAreRefusedWithTheReason() throws Exception {
        Path f = dir.resolve("x.mp4");
        Files.write(f, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OutputReader.read(f, "video/mp4")).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("not a readable MP4");
        assertThatThrownBy(() -> OutputReader.read(f, "image/png")).hasMessageContaining("not a readable image");
        assertThatThrownBy(() -> OutputReader.read(f, "image/webp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("media_type: image/webp");
    }

    /** Frames of the video tests: 32x32, quadrants of saturated colours on grey that move by frame. */
    private static List<RgbImage> frames(int n) {
        int[][] colours = {{220, 30, 30}, {30, 200, 40}, {40, 60, 220}, {240, 230, 40}};
        java.util.List<RgbImage> out = new java.util.ArrayList<>();
        for (int f = 0; f < n; f++) {
            byte[] rgb = new byte[32 * 32 * 3];
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int q = ((x + 2 * f) % 32 / 16) + 2 * (y / 16);
                    boolean inside = (x + 2 * f) % 16 > 2 && y % 16 > 2 && y % 16 < 14;
                    int[] c = inside ? colours[q] : new int[] {128, 128, 128};
                    for (int k = 0; k < 3; k++) {
                        rgb[3 * (y * 32 + x) + k] = (byte) c[k];
                    }
                }
            }
            out.add(new RgbImage(32, 32, rgb));
        }
        return out;
    }

    @Test
    void mp4IsDecodedBackNearItsSourceAndNearWhatFfmpegDecodes() throws Exception {
        List<RgbImage> src = frames(8);
        Path f = dir.resolve("v.mp4");
        Mp4Writer.write(f, src, 8);
        OutputReader.Decoded d = OutputReader.read(f, "video/mp4");
        assertThat(d.frames()).isEqualTo(8);
        assertThat(d.height()).isEqualTo(32);
        assertThat(d.width()).isEqualTo(32);
        // sharp moving edges at this size: H.264 at the writer's quality loses about 10 steps on average
        assertThat(meanAbsError(d, src)).as("lossy H.264 + 4:2:0, in 8-bit steps").isLessThan(12.0);

        // an independent decoder: ffmpeg's rgb24 of the same file (its own YUV → RGB)
        String ffmpeg = Mp4WriterTest.Ffprobe.find() == null ? null
                : Path.of(Mp4WriterTest.Ffprobe.find()).resolveSibling("ffmpeg").toString();
        if (ffmpeg == null || !Files.isExecutable(Path.of(ffmpeg))) {
            org.junit.jupiter.api.Assumptions.assumeFalse("true".equals(System.getenv("CI")), "CI has ffmpeg");
            return;
        }
        Process p = new ProcessBuilder(ffmpeg, "-v", "error", "-i", f.toString(), "-f", "rawvideo", "-pix_fmt",
                "rgb24", "-").start();
        byte[] raw = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(raw).hasSize(8 * 32 * 32 * 3);
        java.util.List<RgbImage> theirs = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            theirs.add(new RgbImage(32, 32, java.util.Arrays.copyOfRange(raw, i * 3072, (i + 1) * 3072)));
        }
        // measured 1.0 (ours) against 9.8 (either decoder against the source): the same pictures, rounding apart
        assertThat(meanAbsError(d, theirs)).as("the same stream decoded by ffmpeg").isLessThan(1.5);
    }

    /** Mean absolute difference in 8-bit steps between decoded frames and RGB frames. */
    private static double meanAbsError(OutputReader.Decoded d, List<RgbImage> frames) {
        int hw = d.height() * d.width();
        double sum = 0;
        for (int f = 0; f < frames.size(); f++) {
            byte[] rgb = frames.get(f).rgb();
            for (int i = 0; i < hw; i++) {
                for (int c = 0; c < 3; c++) {
                    double ours = (d.data()[f * 3 * hw + c * hw + i] + 1) * 127.5;
                    sum += Math.abs(ours - (rgb[3 * i + c] & 0xFF));
                }
            }
        }
        return sum / (frames.size() * 3.0 * hw);
    }
}
