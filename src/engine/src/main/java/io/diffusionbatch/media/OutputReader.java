package io.diffusionbatch.media;

import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.Picture;
import java.util.ArrayList;
import java.util.List;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads a written item back as floats in [-1, 1], channel-major, the layout the engine produced
 * it in: an image as (C=3, H, W), a video as (F, 3, H, W). PNG and GIF values are the 8-bit
 * samples mapped by {@code v / 127.5 − 1}; npy files are returned as stored; MP4 (H.264, as {@link Mp4Writer}
 * writes it) is decoded with jcodec and turned back to RGB by the inverse of the writer's BT.601 limited-range
 * matrix, chroma repeated over its 2x2 block (lossy: values come back near, not equal). Stateless and
 * thread-safe.
 */
public final class OutputReader {

    private OutputReader() {
    }

    /**
     * A decoded output.
     *
     * @param frames 1 for an image
     * @param height pixels
     * @param width  pixels
     * @param data   frames × 3 × height × width values
     */
    public record Decoded(int frames, int height, int width, float[] data) {
    }

    /**
     * Decodes {@code file} according to its media type.
     *
     * @param mediaType as stored in {@code outputs.media_type}
     * @throws IOException when the file cannot be read or is not what its type says
     * @throws IllegalArgumentException naming the media type when it cannot be decoded here
     */
    public static Decoded read(Path file, String mediaType) throws IOException {
        return switch (mediaType) {
            case "image/png" -> fromImages(new BufferedImage[] {ImageIO.read(file.toFile())}, file);
            case "image/gif" -> fromImages(gifFrames(file), file);
            case "application/x-npy" -> fromNpy(NpyReader.read(file), file);
            case "video/mp4" -> fromMp4(file);
            default -> throw new IllegalArgumentException("media_type: " + mediaType
                    + " cannot be read back (png, gif, npy, mp4)");
        };
    }

    private static BufferedImage[] gifFrames(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(Files.newInputStream(file))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("gif");
            ImageReader r = readers.next();
            try {
                r.setInput(in, false, false);
                int n = r.getNumImages(true);
                BufferedImage[] frames = new BufferedImage[n];
                for (int i = 0; i < n; i++) {
                    frames[i] = r.read(i);
                }
                return frames;
            } finally {
                r.dispose();
            }
        }
    }

    private static Decoded fromImages(BufferedImage[] frames, Path file) throws IOException {
        if (frames.length == 0 || frames[0] == null) {
            throw new IOException(file + ": not a readable image");
        }
        int w = frames[0].getWidth();
        int h = frames[0].getHeight();
        float[] data = new float[frames.length * 3 * h * w];
        for (int f = 0; f < frames.length; f++) {
            if (frames[f].getWidth() != w || frames[f].getHeight() != h) {
                throw new IOException(file + ": frame " + f + " is " + frames[f].getWidth() + "x" + frames[f].getHeight()
                        + ", frame 0 is " + w + "x" + h);
            }
            int base = f * 3 * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = frames[f].getRGB(x, y);
                    int p = y * w + x;
                    data[base + p] = ((rgb >> 16) & 0xFF) / 127.5f - 1f;
                    data[base + h * w + p] = ((rgb >> 8) & 0xFF) / 127.5f - 1f;
                    data[base + 2 * h * w + p] = (rgb & 0xFF) / 127.5f - 1f;
                }
            }
        }
        return new Decoded(frames.length, h, w, data);
    }

    /** Every frame of an H.264 MP4, cropped to its stored size, as RGB in [-1, 1]. */
    private static Decoded fromMp4(Path file) throws IOException {
        List<float[]> frames = new ArrayList<>();
        int w = -1;
        int h = -1;
        try (SeekableByteChannel ch = NIOUtils.readableChannel(file.toFile())) {
            FrameGrab grab;
            try {
                grab = FrameGrab.createFrameGrab(ch);
            } catch (JCodecException | RuntimeException e) {
                throw new IOException(file + ": not a readable MP4: " + e.getMessage(), e);
            }
            for (Picture p; (p = grab.getNativeFrame()) != null; ) {
                if (p.getColor().nComp != 3 || p.getColor().compWidth[1] != 1 || p.getColor().compHeight[1] != 1) {
                    throw new IOException(file + ": frame " + frames.size() + " is " + p.getColor() + ", not YUV 4:2:0");
                }
                int fw = p.getCroppedWidth();
                int fh = p.getCroppedHeight();
                if (w >= 0 && (fw != w || fh != h)) {
                    throw new IOException(file + ": frame " + frames.size() + " is " + fw + "x" + fh + ", frame 0 is "
                            + w + "x" + h);
                }
                w = fw;
                h = fh;
                frames.add(rgb(p, w, h));
            }
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a readable MP4: " + e.getMessage(), e);
        }
        if (frames.isEmpty()) {
            throw new IOException(file + ": an MP4 without frames");
        }
        float[] data = new float[frames.size() * 3 * h * w];
        for (int f = 0; f < frames.size(); f++) {
            System.arraycopy(frames.get(f), 0, data, f * 3 * h * w, 3 * h * w);
        }
        return new Decoded(frames.size(), h, w, data);
    }

    /**
     * One YUV 4:2:0 picture (jcodec stores samples as {@code value - 128}) to (3, H, W) floats: the inverse of
     * {@link Mp4Writer}'s BT.601 limited-range matrix, {@code R = 1.164383 (Y-16) + 1.596027 (Cr-128)},
     * {@code G = 1.164383 (Y-16) - 0.391762 (Cb-128) - 0.812968 (Cr-128)},
     * {@code B = 1.164383 (Y-16) + 2.017232 (Cb-128)}, clamped to 0..255.
     */
    private static float[] rgb(Picture p, int w, int h) {
        byte[] yp = p.getPlaneData(0);
        byte[] up = p.getPlaneData(1);
        byte[] vp = p.getPlaneData(2);
        int stride = p.getPlaneWidth(0);
        int cstride = p.getPlaneWidth(1);
        float[] out = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double luma = 1.164383 * (yp[y * stride + x] + 128 - 16);
                double cb = up[(y >> 1) * cstride + (x >> 1)] + 128 - 128;
                double cr = vp[(y >> 1) * cstride + (x >> 1)] + 128 - 128;
                int i = y * w + x;
                out[i] = unit(luma + 1.596027 * cr);
                out[h * w + i] = unit(luma - 0.391762 * cb - 0.812968 * cr);
                out[2 * h * w + i] = unit(luma + 2.017232 * cb);
            }
        }
        return out;
    }

    private static float unit(double v) {
        return (float) (Math.max(0, Math.min(255, v)) / 127.5 - 1);
    }

    private static Decoded fromNpy(NpyArray a, Path file) throws IOException {
        int[] s = a.shape();
        // (3,H,W), (1,3,H,W), (F,3,H,W) or (1,F,3,H,W)
        int[] t = s.length > 3 && s[0] == 1 ? Arrays.copyOfRange(s, 1, s.length) : s;
        if (t.length == 3 && t[0] == 3) {
            return new Decoded(1, t[1], t[2], a.data());
        }
        if (t.length == 4 && t[1] == 3) {
            return new Decoded(t[0], t[2], t[3], a.data());
        }
        throw new IOException(file + ": npy shape " + Arrays.toString(s) + " is neither (3,H,W) nor (F,3,H,W)");
    }
}
