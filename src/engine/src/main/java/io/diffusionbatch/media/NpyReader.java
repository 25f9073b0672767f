package io.diffusionbatch.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code .npy} files holding little-endian float32 ({@code '<f4'}, or float64 {@code '<f8'} via
 * {@link #readFloat64}) C-order arrays, format version 1.x,
 * 2.x or 3.x (as written by {@link NpyWriter} or {@code numpy.save}); anything else is rejected with
 * {@link IllegalArgumentException}. Intended for tests and audit. Stateless and thread-safe.
 */
public final class NpyReader {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private NpyReader() {
    }

    public static NpyArray read(Path file) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        return decode(Files.readAllBytes(file));
    }

    public static NpyArray decode(byte[] bytes) {
        Layout l = layout(bytes, "<f4", 4);
        float[] data = new float[l.count()];
        ByteBuffer.wrap(bytes, l.dataStart(), l.count() * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new NpyArray(l.shape(), data);
    }

    /**
     * A little-endian float64 ({@code '<f8'}) C-order array, as numpy saves statistics.
     *
     * @param shape its dimensions
     * @param data  its values in C order
     */
    public record Float64Array(int[] shape, double[] data) {
    }

    /** Reads a float64 {@code .npy} file. */
    public static Float64Array readFloat64(Path file) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        byte[] bytes = Files.readAllBytes(file);
        Layout l = layout(bytes, "<f8", 8);
        double[] data = new double[l.count()];
        ByteBuffer.wrap(bytes, l.dataStart(), l.count() * 8).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(data);
        return new Float64Array(l.shape(), data);
    }

    private record Layout(int[] shape, int count, int dataStart) {
    }

    private static Layout layout(byte[] bytes, String descr, int itemBytes) {
        Objects.requireNonNull(bytes, "bytes must not be null");
        if (bytes.length < 10) {
            throw new IllegalArgumentException("npy: file too short (" + bytes.length + " bytes)");
        }
        for (int i = 0; i < 6; i++) {
            if (bytes[i] != NpyWriter.MAGIC[i]) {
                throw new IllegalArgumentException("npy: bad magic, expected \\x93NUMPY");
            }
        }
        int major = bytes[6] & 0xFF;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerStart;
        long headerLen;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            headerLen = b.getInt(8) & 0xFFFFFFFFL;
            headerStart = 12;
        } else {
            throw new IllegalArgumentException("npy: unsupported format version " + major + "." + (bytes[7] & 0xFF));
        }
        if (headerStart + headerLen > bytes.length) {
            throw new IllegalArgumentException("npy: header length " + headerLen + " exceeds file size");
        }
        String header = new String(bytes, headerStart, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        if (!d.find() || !d.group(1).equals(descr)) {
            throw new IllegalArgumentException("npy: expected descr '" + descr + "', header: " + header.strip());
        }
        Matcher f = FORTRAN.matcher(header);
        if (!f.find() || !f.group(1).equals("False")) {
            throw new IllegalArgumentException("npy: only fortran_order False is supported");
        }
        Matcher s = SHAPE.matcher(header);
        if (!s.find()) {
            throw new IllegalArgumentException("npy: header has no shape: " + header.strip());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String t = part.strip();
            if (!t.isEmpty()) {
                try {
                    dims.add(Integer.parseInt(t));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("npy: bad shape entry '" + t + "'");
                }
            }
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long n = 1;
        for (int dim : shape) {
            n *= dim;
        }
        int dataStart = (int) (headerStart + headerLen);
        if (bytes.length - dataStart != n * itemBytes) {
            throw new IllegalArgumentException("npy: expected " + n * itemBytes + " data bytes for the shape, found "
                    + (bytes.length - dataStart));
        }
        return new Layout(shape, (int) n, dataStart);
    }
}
