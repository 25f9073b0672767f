package io.diffusionbatch.startup;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DependencyFailure.Service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether runs can write under the output root: it exists (or is made), a file can be created and
 * deleted in it, and how much space is free. Stateless; thread-safe.
 */
public final class OutputRootCheck {

    private OutputRootCheck() {
    }

    /**
     * Checks {@code root}; returns {@code writable, N GiB free}.
     *
     * @param root the configured output root; never null
     * @throws DependencyFailure (service {@link Service#OUTPUT_ROOT}) naming the folder and the cause
     */
    public static String check(Path root) {
        Path dir = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".write-check-", ".tmp"));
            return String.format("writable, %.1f GiB free", Files.getFileStore(dir).getUsableSpace() / (double) (1L << 30));
        } catch (IOException | SecurityException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : DependencyFailure.rootMessage(e);
            throw new DependencyFailure(Service.OUTPUT_ROOT, "cannot write to the output root " + dir + ": " + why, e);
        }
    }
}
