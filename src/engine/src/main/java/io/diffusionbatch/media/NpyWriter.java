package io.diffusionbatch.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes float32 arrays as NumPy {@code .npy} files, format version 1.0 (numpy NEP 1 /
 * {@code numpy.lib.format}): magic {@code \x93NUMPY}, version bytes {@code 1 0}, a little-endian uint16
 * header length, then the ASCII header
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with spaces and ended by
 * {@code \n} so that the data starts at a multiple of 64 bytes, then the data, little-endian, C order.
 *
 * <p>The header is byte-for-byte what numpy 1.24+ writes with {@code numpy.save}: like numpy it inserts
 * {@code 21 - len(str(shape[0]))} spare spaces after the dictionary (room to grow the first axis in place;
 * none for a 0-d array) before padding, and pads with 64 spaces when the unpadded size is already aligned.
 *
 * <p>Stateless and thread-safe. Null arguments are rejected with {@link NullPointerException}.
 */
public final class NpyWriter {

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final int ALIGN = 64;
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private NpyWriter() {
    }

    /** The complete .npy file for {@code array}. */
    public static byte[] encode(NpyArray array) {
        Objects.requireNonNull(array, "array must not be null");
        byte[] header = header(array.shape());
        float[] data = array.data();
        ByteBuffer buf = ByteBuffer.allocate(header.length + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(header);
        buf.asFloatBuffer().put(data);
        return buf.array();
    }

    /** The complete .npy file for {@code data} with the given C-order shape. */
    public static byte[] encode(float[] data, int... shape) {
        return encode(new NpyArray(shape, data));
    }

    /** Writes {@code data} with {@code shape} to {@code file} (temporary sibling, then atomic move). */
    public static void write(Path file, float[] data, int... shape) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        AtomicFiles.write(file, encode(data, shape));
    }

    /** Writes {@code array} to {@code file} (temporary sibling, then atomic move). */
    public static void write(Path file, NpyArray array) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        AtomicFiles.write(file, encode(array));
    }

    /** Magic, version, header length and padded header: everything before the data. */
    static byte[] header(int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                dict.append(", ");
            }
            dict.append(shape[i]);
        }
        if (shape.length == 1) {
            dict.append(',');
        }
        dict.append("), }");
        if (shape.length > 0) {
            dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length()));
        }
        int hlen = dict.length() + 1; // + '\n'
        int pad = ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ALIGN);
        int total = hlen + pad;
        if (total > 0xFFFF) {
            throw new IllegalArgumentException("npy header too long for format 1.0: " + total);
        }
        byte[] out = new byte[10 + total];
        System.arraycopy(MAGIC, 0, out, 0, 6);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) total;
        out[9] = (byte) (total >>> 8);
        byte[] d = dict.toString().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(d, 0, out, 10, d.length);
        for (int i = 10 + d.length; i < out.length - 1; i++) {
            out[i] = ' ';
        }
        out[out.length - 1] = '\n';
        return out;
    }
}
