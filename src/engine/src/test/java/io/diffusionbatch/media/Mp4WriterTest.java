package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.Codec;
import org.jcodec.common.DemuxerTrackMeta;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.containers.mp4.demuxer.MP4Demuxer;
import org.jcodec.scale.ColorUtil;
import org.jcodec.scale.Transform;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class Mp4WriterTest {

    /** A moving bright square over a colour gradient; distinct per frame. */
    static List<RgbImage> frames(int w, int h, int n) {
        List<RgbImage> out = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            byte[] b = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 3;
                    boolean sq = x >= f * 2 && x < f * 2 + 8 && y >= 4 && y < 12;
                    b[i] = (byte) (sq ? 250 : 40 + x * 150 / w);
                    b[i + 1] = (byte) (sq ? 250 : 60);
                    b[i + 2] = (byte) (sq ? 250 : 40 + y * 150 / h);
                }
            }
            out.add(new RgbImage(w, h, b));
        }
        return out;
    }

    @Test
    void framesSizeAndFpsViaJcodecDemuxerAndFrameGrab(@TempDir Path dir) throws IOException, JCodecException {
        List<RgbImage> src = frames(64, 48, 10);
        Path f = dir.resolve("v.mp4");
        Mp4Writer.write(f, src, 10);
        assertThat(dir.toFile().list()).containsExactly("v.mp4");

        try (SeekableByteChannel ch = NIOUtils.readableChannel(f.toFile())) {
            MP4Demuxer demuxer = MP4Demuxer.createMP4Demuxer(ch);
            DemuxerTrackMeta meta = demuxer.getVideoTrack().getMeta();
            assertThat(meta.getCodec()).isEqualTo(Codec.H264);
            assertThat(meta.getTotalFrames()).isEqualTo(10);
            assertThat(meta.getTotalDuration()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(meta.getTotalFrames() / meta.getTotalDuration()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(meta.getVideoCodecMeta().getSize().getWidth()).isEqualTo(64);
            assertThat(meta.getVideoCodecMeta().getSize().getHeight()).isEqualTo(48);
        }

        try (SeekableByteChannel ch = NIOUtils.readableChannel(f.toFile())) {
            FrameGrab grab = FrameGrab.createFrameGrab(ch);
            int count = 0;
            Picture pic;
            while ((pic = grab.getNativeFrame()) != null) {
                RgbImage decoded = toRgb(pic);
                assertThat(decoded.width()).isEqualTo(64);
                assertThat(decoded.height()).isEqualTo(48);
                // lossy codec: compare the mean absolute error per sample and the square's position
                assertThat(meanAbsError(decoded, src.get(count))).as("frame %d MAE", count).isLessThan(4.0);
                count++;
            }
            assertThat(count).isEqualTo(10);
        }
    }

    @Test
    void oddSizesArePaddedByEdgeReplication(@TempDir Path dir) throws IOException, JCodecException {
        List<RgbImage> src = frames(33, 17, 3);
        Path f = dir.resolve("odd.mp4");
        Mp4Writer.write(f, src, 24, 1);
        assertThat(Mp4Writer.videoWidth(33)).isEqualTo(34);
        assertThat(Mp4Writer.videoHeight(17)).isEqualTo(18);
        RgbImage s0 = src.get(0);
        Picture padded = Mp4Writer.toPicture(s0);
        assertThat(padded.getWidth()).isEqualTo(34);
        assertThat(padded.getHeight()).isEqualTo(18);
        byte[] luma = padded.getPlaneData(0);
        for (int y = 0; y < 18; y++) {
            assertThat(luma[y * 34 + 33]).as("padded column repeats column 32, row %d", y).isEqualTo(luma[y * 34 + 32]);
            int sy = Math.min(y, 16);
            // BT.601 limited-range luma by the integer approximation Y = ((66R + 129G + 25B + 128) >> 8) + 16
            int expected = ((66 * s0.sample(32, sy, 0) + 129 * s0.sample(32, sy, 1) + 25 * s0.sample(32, sy, 2) + 128) >> 8) + 16;
            assertThat(luma[y * 34 + 32] + 128).isCloseTo(expected, org.assertj.core.data.Offset.offset(1));
        }
        for (int x = 0; x < 34; x++) {
            assertThat(luma[17 * 34 + x]).as("padded row repeats row 16").isEqualTo(luma[16 * 34 + x]);
        }
        try (SeekableByteChannel ch = NIOUtils.readableChannel(f.toFile())) {
            Picture pic = FrameGrab.createFrameGrab(ch).getNativeFrame();
            RgbImage decoded = toRgb(pic);
            assertThat(decoded.width()).isEqualTo(34);
            assertThat(decoded.height()).isEqualTo(18);
        }
        Ffprobe.check(f, "h264", 34, 18, 3, "24/1");
        Ffprobe.checkDecodedPixels(f, src, 4.0);
    }

    @Test
    void ffprobeSeesH264WithSizeFrameCountAndRate(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("v.mp4");
        Mp4Writer.write(f, frames(48, 32, 7), 30000, 1001);
        List<RgbImage> src = frames(48, 32, 7);
        Ffprobe.check(f, "h264", 48, 32, 7, "30000/1001");
        Ffprobe.checkDecodedPixels(f, src, 4.0);
    }

    @Test
    void rejectsBadInputAndLeavesNoPartialFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.mp4");
        assertThatThrownBy(() -> Mp4Writer.write(f, List.of(), 10)).hasMessageContaining("empty");
        assertThatThrownBy(() -> Mp4Writer.open(f, 0, 1)).hasMessageContaining("fps");
        try (Mp4Writer w = Mp4Writer.open(f, 10, 1)) {
            w.add(frames(16, 16, 1).get(0));
            assertThatThrownBy(() -> w.add(frames(18, 16, 1).get(0))).hasMessageContaining("frame 1 is 18x16");
        }
        assertThat(f).exists();
        Mp4Writer empty = Mp4Writer.open(dir.resolve("e.mp4"), 10, 1);
        assertThatThrownBy(empty::close).isInstanceOf(IllegalStateException.class);
        assertThat(dir.toFile().list()).containsExactly("x.mp4");
    }

    /**
     * Decoded YUV 4:2:0 to RGB with the textbook BT.601 limited-range inverse (independent of the writer):
     * R = 1.164(Y-16) + 1.596(Cr-128), G = 1.164(Y-16) - 0.392(Cb-128) - 0.813(Cr-128), B = 1.164(Y-16) + 2.017(Cb-128).
     */
    static RgbImage toRgb(Picture pic) {
        assertThat(pic.getColor().nComp).isEqualTo(3);
        int w = pic.getCroppedWidth();
        int h = pic.getCroppedHeight();
        int stride = pic.getPlaneWidth(0);
        int cstride = pic.getPlaneWidth(1);
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double yy = (pic.getPlaneData(0)[y * stride + x] + 128) - 16;
                double cb = (pic.getPlaneData(1)[(y / 2) * cstride + x / 2] + 128) - 128;
                double cr = (pic.getPlaneData(2)[(y / 2) * cstride + x / 2] + 128) - 128;
                int i = (y * w + x) * 3;
                out[i] = (byte) clip(1.164 * yy + 1.596 * cr);
                out[i + 1] = (byte) clip(1.164 * yy - 0.392 * cb - 0.813 * cr);
                out[i + 2] = (byte) clip(1.164 * yy + 2.017 * cb);
            }
        }
        return new RgbImage(w, h, out);
    }

    static int clip(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    static double meanAbsError(RgbImage a, RgbImage b) {
        long sum = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            sum += Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
        }
        return sum / (double) a.rgb().length;
    }

    /** Checks an MP4 with ffprobe; skipped only when ffprobe is absent and CI is not "true". */
    static final class Ffprobe {
        static void check(Path file, String codec, int width, int height, int frames, String rate) throws IOException {
            String exe = find();
            if (exe == null) {
                if ("true".equals(System.getenv("CI"))) {
                    fail("ffprobe not found on PATH or /usr/bin, but CI=true requires it");
                }
                Assumptions.abort("ffprobe not installed (and CI is not \"true\")");
            }
            Process p = new ProcessBuilder(exe, "-v", "error", "-select_streams", "v:0", "-count_frames",
                    "-show_entries", "stream=codec_name,width,height,nb_frames,nb_read_frames,r_frame_rate",
                    "-of", "json", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ffprobe finished").isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            assertThat(p.exitValue()).as("ffprobe exit, output: " + out).isZero();
            JsonNode s = JsonMapper.builder().build().readTree(out).get("streams").get(0);
            assertThat(s.get("codec_name").asString()).as(out).isEqualTo(codec);
            assertThat(s.get("width").asInt()).as(out).isEqualTo(width);
            assertThat(s.get("height").asInt()).as(out).isEqualTo(height);
            assertThat(s.get("nb_frames").asString()).as(out).isEqualTo(Integer.toString(frames));
            assertThat(s.get("nb_read_frames").asString()).as(out).isEqualTo(Integer.toString(frames));
            assertThat(s.get("r_frame_rate").asString()).as(out).isEqualTo(rate);
        }

        /**
         * Decodes with ffmpeg to rgb24 (its own YUV to RGB conversion) and compares with the source frames,
         * cropped back to the source size: mean absolute error per sample below {@code maxMae}.
         */
        static void checkDecodedPixels(Path file, List<RgbImage> src, double maxMae) throws IOException {
            String probe = find();
            if (probe == null) {
                return; // check() has already failed or aborted
            }
            String ffmpeg = Path.of(probe).resolveSibling("ffmpeg").toString();
            if (!Files.isExecutable(Path.of(ffmpeg))) {
                if ("true".equals(System.getenv("CI"))) {
                    fail("ffmpeg not found next to " + probe);
                }
                Assumptions.abort("ffmpeg not installed");
            }
            Process p = new ProcessBuilder(ffmpeg, "-v", "error", "-i", file.toString(), "-f", "rawvideo",
                    "-pix_fmt", "rgb24", "-").start();
            byte[] raw = p.getInputStream().readAllBytes();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            assertThat(p.exitValue()).as("ffmpeg: " + err).isZero();
            int w = src.get(0).width();
            int h = src.get(0).height();
            int vw = Mp4Writer.videoWidth(w);
            int vh = Mp4Writer.videoHeight(h);
            assertThat(raw.length).isEqualTo(src.size() * vw * vh * 3);
            for (int f = 0; f < src.size(); f++) {
                byte[] crop = new byte[w * h * 3];
                for (int y = 0; y < h; y++) {
                    System.arraycopy(raw, ((f * vh + y) * vw) * 3, crop, y * w * 3, w * 3);
                }
                assertThat(meanAbsError(new RgbImage(w, h, crop), src.get(f))).as("ffmpeg frame %d MAE", f)
                        .isLessThan(maxMae);
            }
        }

        static String find() {
            String path = System.getenv("PATH");
            if (path != null) {
                for (String d : path.split(java.io.File.pathSeparator)) {
                    Path c = Path.of(d, "ffprobe");
                    if (Files.isExecutable(c)) {
                        return c.toString();
                    }
                }
            }
            return Files.isExecutable(Path.of("/usr/bin/ffprobe")) ? "/usr/bin/ffprobe" : null;
        }
    }
}
