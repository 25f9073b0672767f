package io.diffusionbatch.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * The files of runs. A partition writes its files into its staging folder (a private, local folder the writer can
 * use with plain {@link Path}s), then {@link #publish publishes} each under its final name in the run's folder, in
 * one atomic step, so a reader never sees half a file. The run folder is the {@code output_dir} recorded at
 * acceptance as {@link OutputRoot} finds it on this instance; every method checks it again when called (a link
 * planted since then is refused, not followed).
 *
 * <p>Failures: {@link OutputRefusedException} when the path would leave the output root (the message says which
 * path and why); {@link UncheckedIOException} when the storage fails (full, read-only, gone), its message naming
 * the path and the system's reason. Arguments are never null. Implementations are thread-safe; partitions of one
 * run share the run folder and each has a staging folder of its own.
 */
public interface OutputStore {

    /** Name of the folder, in a run's folder, that holds the partitions' staging folders. */
    String STAGING = ".staging";

    /**
     * The staging folder of a partition, checked and created (with the run's folder) when missing.
     *
     * @param runDir    the run's folder, as recorded in the ledger
     * @param partition the partition's name (one path segment)
     * @return the folder to write into; files there are private to the partition until published
     */
    Path staging(Path runDir, String partition);

    /**
     * Moves a staged file into the run's folder under the same name, atomically, replacing a file of that name
     * (a re-made item's bytes are the same).
     *
     * @param staged a file in one of the run's staging folders, as {@link #staging} returned it
     * @return the file's final path
     */
    Path publish(Path runDir, Path staged);

    /** Removes a partition's staging folder and what is in it (what an interrupted attempt left); none is fine. */
    void clearStaging(Path runDir, String partition);

    /**
     * Opens a published file of a run for reading, refusing one reached through a link or that is no regular file.
     *
     * @param path the file's path relative to the run's folder, as the ledger records it
     * @throws java.nio.file.NoSuchFileException when there is no such file
     * @throws IOException                       when it cannot be read
     */
    Stored open(Path runDir, String path) throws IOException;

    /**
     * An opened file: the caller closes {@code channel}.
     *
     * @param channel  positioned at the start
     * @param size     its size in bytes
     * @param version  changes when the file is replaced or rewritten (for caches of what was read from it); a
     *                 local file's is its inode and modification time
     */
    record Stored(SeekableByteChannel channel, long size, String version) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
