package io.diffusionbatch.dataset;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A deterministic POSIX ustar (POSIX.1-1988) writer for WebDataset shards: regular files only, every header
 * the same but for name, size and checksum (mode 0644, uid and gid 0, empty uname and gname, mtime
 * {@link #MTIME}), so the same sequence of {@code add} calls gives the same bytes, whatever the machine, the
 * user or the clock. {@link #close()} ends the archive with two zero blocks and pads it to a whole
 * {@link #RECORD_SIZE}-byte record, as GNU tar and Python's {@code tarfile} do, then closes the stream.
 *
 * <p>Member names are ASCII {@code [A-Za-z0-9._/-]}, relative, at most {@value #MAX_NAME_LENGTH} bytes (the
 * ustar name field; the prefix field is never used), without empty, {@code .} or {@code ..} segments, and
 * unique within the archive; sizes are at most {@link #MAX_SIZE} (8 GiB - 1, eleven octal digits).
 *
 * <p>Null handling: no argument may be null. Thread-safety: not thread-safe; one thread writes an archive.
 * The writer writes whole 512-byte blocks straight to the given stream (wrap it in a buffer when that
 * matters). After an {@link IOException} from {@code add} the archive is incomplete: later {@code add} calls
 * are refused and {@code close()} only closes the stream.
 */
public final class TarWriter implements Closeable {

    /** Every member's modification time, seconds since the epoch: 2000-01-01T00:00:00Z (0 makes GNU tar warn). */
    public static final long MTIME = 946684800L;
    /** The tar block: headers and padded contents are whole blocks. */
    public static final int BLOCK_SIZE = 512;
    /** The record the finished archive is padded to (20 blocks, the default of GNU tar and Python). */
    public static final int RECORD_SIZE = 10240;
    /** The longest member name, in bytes: the ustar name field. */
    public static final int MAX_NAME_LENGTH = 100;
    /** The largest member: eleven octal digits, 8 GiB - 1. */
    public static final long MAX_SIZE = 077777777777L;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._/-]+");

    private final OutputStream out;
    private final Set<String> names = new HashSet<>();
    private long written;
    private boolean closed;
    private boolean broken;

    /** A writer of one archive to {@code out}, which it owns from now on and closes in {@link #close()}. */
    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Appends a regular file.
     *
     * @throws IllegalArgumentException when the name breaks a rule of the class comment or was added before
     * @throws IllegalStateException    after {@link #close()} or after a failed {@code add}
     */
    public void add(String name, byte[] content) throws IOException {
        add(name, content.length, new ByteArrayInputStream(content));
    }

    /**
     * Appends a regular file of {@code size} bytes read from {@code content} (not closed here), without
     * holding it in memory: for media too large for an array.
     *
     * @throws IllegalArgumentException when the name breaks a rule of the class comment or was added before, or
     *                                  when the size is negative or over {@link #MAX_SIZE}; nothing is written then
     * @throws IllegalStateException    after {@link #close()} or after a failed {@code add}
     * @throws IOException              from either stream, or when {@code content} holds fewer or more than
     *                                  {@code size} bytes; the archive is incomplete then
     */
    public void add(String name, long size, InputStream content) throws IOException {
        if (closed || broken) {
            throw new IllegalStateException("tar member '" + name + "': the archive is "
                    + (closed ? "closed" : "incomplete after a failed add"));
        }
        checkName(name);
        if (size < 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("tar member '" + name + "': size " + size
                    + " is outside 0.." + MAX_SIZE + " (8 GiB - 1, the ustar size field)");
        }
        if (names.contains(name)) {
            throw new IllegalArgumentException("tar member '" + name + "': the name is already in the archive");
        }
        names.add(name);
        broken = true;
        write(header(name, size));
        byte[] buf = new byte[64 * BLOCK_SIZE];
        long left = size;
        while (left > 0) {
            int n = content.readNBytes(buf, 0, (int) Math.min(buf.length, left));
            if (n == 0) {
                throw new IOException("tar member '" + name + "': its content ended after " + (size - left)
                        + " of " + size + " bytes");
            }
            write(buf, n);
            left -= n;
        }
        if (content.read() != -1) {
            throw new IOException("tar member '" + name + "': its content holds more than " + size + " bytes");
        }
        write(new byte[padding(size, BLOCK_SIZE)]);
        broken = false;
    }

    /** The archive's bytes written so far: headers and padded contents, and after {@link #close()} its end. */
    public long bytesWritten() {
        return written;
    }

    /**
     * Writes the end of the archive (two zero blocks, then zeros to a whole record) unless an {@code add} failed,
     * and closes the stream. Closing again has no effect.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (out) {
            if (!broken) {
                long end = written + 2L * BLOCK_SIZE;
                write(new byte[2 * BLOCK_SIZE + padding(end, RECORD_SIZE)]);
                out.flush();
            }
        }
    }

    private static void checkName(String name) {
        String rule = null;
        if (!NAME.matcher(name).matches()) {
            rule = "only the ASCII characters A-Z a-z 0-9 . _ / - are allowed";
        } else if (name.length() > MAX_NAME_LENGTH) {
            rule = "it is " + name.length() + " bytes, over the " + MAX_NAME_LENGTH + " of the ustar name field";
        } else if (name.startsWith("/")) {
            rule = "it must be relative (no leading '/')";
        } else {
            for (String segment : name.split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    rule = "no segment may be empty, '.' or '..' (no trailing or doubled '/')";
                    break;
                }
            }
        }
        if (rule != null) {
            throw new IllegalArgumentException("tar member '" + name + "': " + rule);
        }
    }

    /** The ustar header block; the checked name is ASCII, so its chars are its bytes. */
    private static byte[] header(String name, long size) {
        byte[] h = new byte[BLOCK_SIZE];
        put(h, 0, name);
        put(h, 100, "0000644\0");                   // mode
        put(h, 108, "0000000\0");                   // uid
        put(h, 116, "0000000\0");                   // gid
        put(h, 124, octal(size, 11) + "\0");        // size
        put(h, 136, octal(MTIME, 11) + "\0");       // mtime
        put(h, 148, "        ");                    // chksum, as spaces while summing
        h[156] = '0';                               // typeflag: regular file
        put(h, 257, "ustar\0");                     // magic
        put(h, 263, "00");                          // version; uname, gname and prefix stay empty
        put(h, 329, "0000000\0");                   // devmajor
        put(h, 337, "0000000\0");                   // devminor
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        put(h, 148, octal(sum, 6) + "\0 ");
        return h;
    }

    private static void put(byte[] header, int offset, String ascii) {
        byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, header, offset, b.length);
    }

    private static String octal(long value, int digits) {
        String s = Long.toOctalString(value);
        return "0".repeat(digits - s.length()) + s;
    }

    private static int padding(long length, int unit) {
        return (int) ((unit - length % unit) % unit);
    }

    private void write(byte[] b) throws IOException {
        write(b, b.length);
    }

    private void write(byte[] b, int n) throws IOException {
        out.write(b, 0, n);
        written += n;
    }
}
