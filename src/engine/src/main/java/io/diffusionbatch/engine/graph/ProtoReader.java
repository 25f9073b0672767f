package io.diffusionbatch.engine.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Minimal reader of the protobuf wire format over a region of a {@link ByteBuffer}: varints,
 * 64-bit, length-delimited and 32-bit fields, with skipping of unknown fields. Reads use absolute
 * indices, so the underlying buffer (typically a memory-mapped file) is never copied; a
 * length-delimited field is returned as a sub-reader over the same memory.
 *
 * <p>Not thread-safe (it has a cursor); readers over the same buffer may be used concurrently.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final ByteBuffer buf;
    private int pos;
    private final int limit;

    ProtoReader(ByteBuffer buf) {
        this(buf.duplicate().order(ByteOrder.LITTLE_ENDIAN), buf.position(), buf.limit());
    }

    private ProtoReader(ByteBuffer buf, int pos, int limit) {
        this.buf = buf;
        this.pos = pos;
        this.limit = limit;
    }

    boolean hasMore() {
        return pos < limit;
    }

    int position() {
        return pos;
    }

    int limit() {
        return limit;
    }

    /** Reads a field key; returns {@code fieldNumber << 3 | wireType}. */
    int readTag() {
        long tag = readVarint();
        if ((tag >>> 3) == 0 || tag > Integer.MAX_VALUE) {
            throw new ProtoException("invalid field key " + tag + " at byte " + pos);
        }
        return (int) tag;
    }

    static int field(int tag) {
        return tag >>> 3;
    }

    static int wireType(int tag) {
        return tag & 7;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw new ProtoException("truncated varint at byte " + pos);
            }
            byte b = buf.get(pos++);
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new ProtoException("varint longer than 10 bytes at byte " + pos);
    }

    long readFixed64() {
        require(8);
        long v = buf.getLong(pos);
        pos += 8;
        return v;
    }

    int readFixed32() {
        require(4);
        int v = buf.getInt(pos);
        pos += 4;
        return v;
    }

    /** Reads a length prefix and returns a reader over the delimited bytes, advancing past them. */
    ProtoReader readMessage() {
        int len = readLength();
        ProtoReader sub = new ProtoReader(buf, pos, pos + len);
        pos += len;
        return sub;
    }

    String readString() {
        int len = readLength();
        byte[] bytes = new byte[len];
        buf.get(pos, bytes);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The remaining bytes of this reader as a little-endian view (no copy). */
    ByteBuffer remainingView() {
        return buf.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(limit).position(pos).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private int readLength() {
        long len = readVarint();
        if (len < 0 || len > limit - pos) {
            throw new ProtoException("length " + len + " at byte " + pos + " exceeds the enclosing message (ends at "
                    + limit + ")");
        }
        return (int) len;
    }

    void skip(int tag) {
        switch (wireType(tag)) {
            case VARINT -> readVarint();
            case FIXED64 -> {
                require(8);
                pos += 8;
            }
            case LEN -> {
                int len = readLength(); // not "pos += readLength()": that would read pos before the prefix
                pos += len;
            }
            case FIXED32 -> {
                require(4);
                pos += 4;
            }
            default -> throw new ProtoException("unsupported wire type " + wireType(tag) + " of field "
                    + field(tag) + " at byte " + pos);
        }
    }

    private void require(int n) {
        if (limit - pos < n) {
            throw new ProtoException("truncated field at byte " + pos);
        }
    }

    /** Malformed protobuf input. */
    static final class ProtoException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ProtoException(String message) {
            super("malformed protobuf: " + message);
        }
    }
}
