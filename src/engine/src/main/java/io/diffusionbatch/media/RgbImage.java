package io.diffusionbatch.media;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit RGB image, pixels interleaved row-major ({@code r,g,b,r,g,b,...}, top row first).
 *
 * <p>The constructor validates its arguments and keeps the given array (no copy, for speed with large
 * images); callers must not mutate it afterwards. {@link #rgb()} returns that same array: treat it as
 * read-only. Under that contract instances are immutable and thread-safe. {@code equals}/{@code hashCode}
 * compare pixel contents. Null arguments are rejected with {@link NullPointerException}.
 *
 * @param width  pixels per row, {@code >= 1}
 * @param height rows, {@code >= 1}
 * @param rgb    exactly {@code width * height * 3} bytes (unsigned 0..255 stored in Java bytes)
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1, got " + width);
        }
        if (height < 1) {
            throw new IllegalArgumentException("height must be >= 1, got " + height);
        }
        Objects.requireNonNull(rgb, "rgb must not be null");
        long expected = (long) width * height * 3;
        if (expected > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("width*height*3 too large: " + expected);
        }
        if (rgb.length != expected) {
            throw new IllegalArgumentException("rgb length must be width*height*3 = " + expected + ", got " + rgb.length);
        }
    }

    /**
     * Converts one decoded image tensor laid out CHW ({@code data[offset + (c*height + y)*width + x]}) with
     * values in [-1, 1] (the VAE decoder's range) to 8-bit: {@code u = round(clamp((v + 1) / 2, 0, 1) * 255)}
     * where {@code round} is {@link Math#round(float)} (round half up). NaN maps to 0.
     * One channel becomes gray (R=G=B), three are RGB, four use the first three (alpha dropped).
     *
     * <p>Note: the A1111 web UI truncates ({@code astype(uint8)} of {@code 255*x}) instead of rounding, so its
     * pixels can be one lower than ours.
     *
     * @throws IllegalArgumentException on a channel count other than 1, 3, 4, on non-positive sizes, or when
     *                                  {@code offset + channels*height*width} exceeds the array
     */
    public static RgbImage fromChw(float[] data, int offset, int channels, int height, int width) {
        return convert(data, offset, channels, height, width, true);
    }

    /**
     * As {@link #fromChw} but for data in [0, 1]: {@code u = round(clamp(v, 0, 1) * 255)}.
     */
    public static RgbImage fromChw01(float[] data, int offset, int channels, int height, int width) {
        return convert(data, offset, channels, height, width, false);
    }

    private static RgbImage convert(float[] data, int offset, int channels, int height, int width, boolean signed) {
        Objects.requireNonNull(data, "data must not be null");
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("channels must be 1, 3 or 4, got " + channels);
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("height and width must be >= 1, got " + height + "x" + width);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        long plane = (long) height * width;
        if (offset + channels * plane > data.length) {
            throw new IllegalArgumentException("data too short: offset " + offset + " + channels*height*width "
                    + channels * plane + " > length " + data.length);
        }
        int n = (int) plane;
        byte[] rgb = new byte[n * 3];
        for (int c = 0; c < 3; c++) {
            int src = offset + (channels == 1 ? 0 : c) * n;
            for (int i = 0; i < n; i++) {
                rgb[i * 3 + c] = (byte) toByte(data[src + i], signed);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    static int toByte(float v, boolean signed) {
        float u = signed ? (v + 1f) / 2f : v;
        if (!(u > 0f)) { // also NaN
            return 0;
        }
        if (u >= 1f) {
            return 255;
        }
        return Math.round(u * 255f);
    }

    /** The unsigned value (0..255) of channel {@code c} at pixel ({@code x}, {@code y}). */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** Packed {@code 0xRRGGBB} at ({@code x}, {@code y}). */
    public int rgbAt(int x, int y) {
        int i = (y * width + x) * 3;
        return (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && other.width == width && other.height == height
                && Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
