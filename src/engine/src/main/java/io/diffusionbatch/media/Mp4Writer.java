package io.diffusionbatch.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import org.jcodec.api.transcode.PixelStore;
import org.jcodec.api.transcode.SinkImpl;
import org.jcodec.api.transcode.VideoFrameWithPacket;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Packet;
import org.jcodec.common.model.Picture;

/**
 * Writes H.264 video (Baseline profile) in an MP4 (ISO base media) file with jcodec's pure-Java encoder and
 * muxer (no AWT, no native code).
 *
 * <p><b>Colour:</b> frames are converted here, not by jcodec, to BT.601 limited-range ("TV", Y 16..235,
 * Cb/Cr 16..240) YUV 4:2:0, chroma being the mean of each 2x2 block; this is what players assume for an H.264
 * stream without colour information. (jcodec 0.2.5's own RGB path, {@code SequenceEncoder}, produces
 * full-range values with a wrong blue weight in luma and no full-range flag, which players show too dark.)
 *
 * <p><b>Odd sizes:</b> 4:2:0 chroma needs even dimensions, so a frame with an odd width or height is
 * <em>padded</em> by one column/row that repeats the last column/row (edge replication); nothing is cropped.
 * The video is then {@code width + (width & 1)} by {@code height + (height & 1)}; see {@link #videoWidth(int)}.
 * Sizes that are not multiples of 16 are handled by the encoder (macroblock padding with SPS cropping), so
 * the stored size is exactly the (even) frame size.
 *
 * <p>All frames must have the same size. Use either the static {@link #write(Path, List, int, int)} or, to
 * stream frames one by one, an instance: {@link #open}, {@link #add}, {@link #close}. The file is written to a
 * temporary sibling and moved into place on a successful {@link #close()} (a failed or abandoned writer
 * leaves no partial file at the target). Instances are not thread-safe; the static methods are.
 * Null arguments are rejected with {@link NullPointerException}.
 */
public final class Mp4Writer implements AutoCloseable {

    private final Path target;
    private final Path tmp;
    private final SeekableByteChannel channel;
    private final SinkImpl sink;
    private final int fpsNum;
    private final int fpsDen;
    private int width = -1;
    private int height = -1;
    private int frames;
    private boolean closed;

    private Mp4Writer(Path target, int fpsNum, int fpsDen) throws IOException {
        this.target = target;
        AtomicFiles.Temp created = AtomicFiles.createSibling(target);
        this.tmp = created.path();
        SeekableByteChannel ch = null;
        try {
            ch = new FileChannelWrapper(created.channel());
            // Format.MOV selects jcodec's MP4Muxer (ISO brand); the sink converts Annex B to MP4 samples + avcC
            SinkImpl s = SinkImpl.createWithStream(ch, Format.MOV, Codec.H264, null);
            s.init();
            this.sink = s;
            this.channel = ch;
            this.fpsNum = fpsNum;
            this.fpsDen = fpsDen;
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            } else {
                created.channel().close();
            }
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Starts an MP4 at {@code fpsNum/fpsDen} frames per second (e.g. 30/1, 30000/1001).
     *
     * @throws IllegalArgumentException if {@code fpsNum} or {@code fpsDen} is not positive
     */
    public static Mp4Writer open(Path file, int fpsNum, int fpsDen) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        if (fpsNum < 1 || fpsDen < 1) {
            throw new IllegalArgumentException("fps must be a positive fraction, got " + fpsNum + "/" + fpsDen);
        }
        return new Mp4Writer(file, fpsNum, fpsDen);
    }

    /** Encodes all frames at {@code fps} frames per second into {@code file}. */
    public static void write(Path file, List<RgbImage> frames, int fps) throws IOException {
        write(file, frames, fps, 1);
    }

    /** Encodes all frames at {@code fpsNum/fpsDen} frames per second into {@code file}. */
    public static void write(Path file, List<RgbImage> frames, int fpsNum, int fpsDen) throws IOException {
        Objects.requireNonNull(frames, "frames must not be null");
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("frames must not be empty");
        }
        try (Mp4Writer w = open(file, fpsNum, fpsDen)) {
            for (RgbImage f : frames) {
                w.add(f);
            }
        }
    }

    /** The stored video width for a frame width (odd widths are padded by one column). */
    public static int videoWidth(int frameWidth) {
        return frameWidth + (frameWidth & 1);
    }

    /** The stored video height for a frame height (odd heights are padded by one row). */
    public static int videoHeight(int frameHeight) {
        return frameHeight + (frameHeight & 1);
    }

    /**
     * Encodes one frame.
     *
     * @throws IllegalArgumentException if its size differs from the first frame's
     * @throws IllegalStateException    after {@link #close()}
     */
    public void add(RgbImage frame) throws IOException {
        Objects.requireNonNull(frame, "frame must not be null");
        if (closed) {
            throw new IllegalStateException("Mp4Writer is closed");
        }
        if (width < 0) {
            width = frame.width();
            height = frame.height();
        } else if (frame.width() != width || frame.height() != height) {
            throw new IllegalArgumentException("all frames must be " + width + "x" + height + ", frame " + frames
                    + " is " + frame.width() + "x" + frame.height());
        }
        // timescale fpsNum, each frame lasting fpsDen ticks: frame n starts at n * fpsDen / fpsNum seconds
        Packet packet = Packet.createPacket(null, (long) frames * fpsDen, fpsNum, fpsDen, frames,
                Packet.FrameType.KEY, null);
        sink.outputVideoFrame(new VideoFrameWithPacket(packet, new PixelStore.LoanerPicture(toPicture(frame), 0)));
        frames++;
    }

    /** Frames added so far. */
    public int frameCount() {
        return frames;
    }

    /**
     * Finishes the file and moves it into place. If no frame was added the temporary file is deleted and
     * an {@link IllegalStateException} is thrown. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (frames == 0) {
                throw new IllegalStateException("no frames were added to " + target);
            }
            sink.finish();
            channel.close();
            AtomicFiles.moveInto(tmp, target);
        } finally {
            channel.close();
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The frame as a jcodec YUV 4:2:0 picture (planes Y, Cb, Cr; samples stored as {@code value - 128}),
     * edge-padded to even size, BT.601 limited range:
     * {@code Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255},
     * {@code Cb = 128 + (-37.797 R - 74.203 G + 112 B) / 255},
     * {@code Cr = 128 + (112 R - 93.786 G - 18.214 B) / 255}, rounded half up. jcodec labels this layout
     * {@code YUV420J}; the label is not written to the stream.
     */
    static Picture toPicture(RgbImage f) {
        int w = videoWidth(f.width());
        int h = videoHeight(f.height());
        Picture pic = Picture.create(w, h, ColorSpace.YUV420J);
        byte[] yp = pic.getPlaneData(0);
        byte[] up = pic.getPlaneData(1);
        byte[] vp = pic.getPlaneData(2);
        int cw = w / 2;
        for (int by = 0; by < h; by += 2) {
            for (int bx = 0; bx < w; bx += 2) {
                double rs = 0;
                double gs = 0;
                double bs = 0;
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        int x = bx + dx;
                        int y = by + dy;
                        int s = (Math.min(y, f.height() - 1) * f.width() + Math.min(x, f.width() - 1)) * 3;
                        int r = f.rgb()[s] & 0xFF;
                        int g = f.rgb()[s + 1] & 0xFF;
                        int b = f.rgb()[s + 2] & 0xFF;
                        rs += r;
                        gs += g;
                        bs += b;
                        yp[y * w + x] = (byte) (lumaBt601(r, g, b) - 128);
                    }
                }
                rs /= 4;
                gs /= 4;
                bs /= 4;
                int ci = (by / 2) * cw + bx / 2;
                up[ci] = (byte) (clamp((int) Math.floor(128 + (-37.797 * rs - 74.203 * gs + 112.0 * bs) / 255 + 0.5), 16, 240) - 128);
                vp[ci] = (byte) (clamp((int) Math.floor(128 + (112.0 * rs - 93.786 * gs - 18.214 * bs) / 255 + 0.5), 16, 240) - 128);
            }
        }
        return pic;
    }

    static int lumaBt601(int r, int g, int b) {
        return clamp((int) Math.floor(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255 + 0.5), 16, 235);
    }

    private static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : Math.min(v, hi);
    }
}
