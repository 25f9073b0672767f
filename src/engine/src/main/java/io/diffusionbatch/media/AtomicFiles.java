package io.diffusionbatch.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file through a temporary sibling and a move, so readers never see half a file. The temporary file is
 * created new ({@link StandardOpenOption#CREATE_NEW}: never an existing file, never through a link) with the mode the
 * process umask gives (unlike {@link Files#createTempFile}, whose files are private to the owner), so the final file
 * is as readable as any other file the process makes. Stateless and thread-safe.
 */
final class AtomicFiles {

    /** A new temporary file open for writing; the caller closes the channel and moves or deletes the file. */
    record Temp(Path path, FileChannel channel) {
    }

    private AtomicFiles() {
    }

    /** Creates a new temporary sibling of {@code file} (and its folder when missing) and opens it for writing. */
    static Temp createSibling(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toUnsignedString(
                    ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return new Temp(tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Temp tmp = createSibling(file);
        try {
            try (FileChannel ch = tmp.channel()) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            moveInto(tmp.path(), file);
        } finally {
            Files.deleteIfExists(tmp.path());
        }
    }

    static void moveInto(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
