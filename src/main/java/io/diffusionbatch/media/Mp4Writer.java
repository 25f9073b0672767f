package io.diffusionbatch.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;

/**
 * Writes H.264 video in an MP4 (ISO base media) file with jcodec's pure-Java encoder
 * ({@link SequenceEncoder}; no AWT, no native code). Frames are converted from RGB to YUV 4:2:0 by jcodec.
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
    private final SequenceEncoder encoder;
    private int width = -1;
    private int height = -1;
    private int frames;
    private boolean closed;

    private Mp4Writer(Path target, int fpsNum, int fpsDen) throws IOException {
        this.target = target;
        this.tmp = AtomicFiles.tempSibling(target);
        SeekableByteChannel ch = null;
        try {
            ch = NIOUtils.writableChannel(tmp.toFile());
            this.encoder = new SequenceEncoder(ch, Rational.R(fpsNum, fpsDen), Format.MOV, Codec.H264, null);
            this.channel = ch;
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
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
        encoder.encodeNativeFrame(toPicture(frame));
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
            encoder.finish();
            channel.close();
            AtomicFiles.moveInto(tmp, target);
        } finally {
            channel.close();
            Files.deleteIfExists(tmp);
        }
    }

    /** jcodec RGB picture (one interleaved plane, samples stored as {@code value - 128}), edge-padded to even. */
    static Picture toPicture(RgbImage f) {
        int w = videoWidth(f.width());
        int h = videoHeight(f.height());
        Picture pic = Picture.create(w, h, ColorSpace.RGB);
        byte[] dst = pic.getPlaneData(0);
        byte[] src = f.rgb();
        for (int y = 0; y < h; y++) {
            int sy = Math.min(y, f.height() - 1);
            for (int x = 0; x < w; x++) {
                int sx = Math.min(x, f.width() - 1);
                int s = (sy * f.width() + sx) * 3;
                int d = (y * w + x) * 3;
                dst[d] = (byte) ((src[s] & 0xFF) - 128);
                dst[d + 1] = (byte) ((src[s + 1] & 0xFF) - 128);
                dst[d + 2] = (byte) ((src[s + 2] & 0xFF) - 128);
            }
        }
        return pic;
    }
}
