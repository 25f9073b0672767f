package io.diffusionbatch.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Runs' files in a local (or mounted, shared) folder, the output root. Every call walks the path from the root's
 * real path down one component at a time without following links ({@link LinkOption#NOFOLLOW_LINKS}): a component
 * that is a symbolic link, or not a folder, is refused, and so is a path outside the root. Folders are created one
 * at a time, files are opened without following links, so the mode of what is made is the one the process umask
 * gives. The root itself may be a link (it is configuration, not a run's).
 *
 * <p>What remains: the checks and the write that follows are separate system calls, so someone who can write in the
 * output root and swaps a folder for a link in between (a window of one item's encoding) can still divert that
 * write; keep the output root writable by the service only where that matters. Stateless (but the root) and
 * thread-safe.
 */
public final class LocalOutputStore implements OutputStore {

    private final Path root;

    /** @param root the output root; created when missing */
    public LocalOutputStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The output root as configured (absolute, normalised). */
    public Path root() {
        return root;
    }

    @Override
    public Path staging(Path runDir, String partition) {
        Path dir = stagingDir(runDir, partition);
        try {
            return checkedDir(dir, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the staging folder " + dir + ": " + reason(e, dir), e);
        }
    }

    @Override
    public Path publish(Path runDir, Path staged) {
        Objects.requireNonNull(staged, "staged");
        Path name = staged.getFileName();
        Path target = runDir.resolve(name);
        try {
            Path run = checkedDir(runDir, false);
            Path from = checkedDir(staged.toAbsolutePath().normalize().getParent(), false);
            if (!run.resolve(STAGING).equals(from.getParent())) {
                throw new OutputRefusedException("refused to publish " + staged + ": it is not in a staging folder of "
                        + runDir);
            }
            BasicFileAttributes there = attributes(run.resolve(name));
            if (there != null && there.isDirectory()) {
                throw new OutputRefusedException("refused to publish " + staged + ": " + target + " is a folder");
            }
            // rename(2) replaces a link at the target rather than following it
            Files.move(from.resolve(name), run.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return run.resolve(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + staged + " to " + target + ": " + reason(e, staged), e);
        }
    }

    @Override
    public void clearStaging(Path runDir, String partition) {
        Path dir = stagingDir(runDir, partition);
        Path checked;
        try {
            checked = checkedDir(dir, false);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir + ": " + reason(e, dir), e);
        }
        // Files.walk does not follow links: a link inside is removed, not what it points to
        try (Stream<Path> s = Files.walk(checked)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new UncheckedIOException("cannot clear " + dir + ": " + e.getMessage(),
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
    }

    @Override
    public Stored open(Path runDir, String path) throws IOException {
        Objects.requireNonNull(path, "path");
        List<String> segments = List.of(path.split("/", -1));
        for (String s : segments) {
            if (s.isEmpty() || s.equals(".") || s.equals("..") || s.indexOf('\\') >= 0 || s.indexOf('\0') >= 0) {
                throw new OutputRefusedException("'" + path + "' is not a path inside its run's folder");
            }
        }
        Path file = checkedDir(runDir, false);
        for (int i = 0; i < segments.size(); i++) {
            file = file.resolve(segments.get(i));
            BasicFileAttributes a = attributes(file);
            if (a == null) {
                throw new NoSuchFileException(file.toString());
            }
            if (a.isSymbolicLink()) {
                throw new OutputRefusedException(file + " is a symbolic link; outputs are never read through links");
            }
            boolean last = i == segments.size() - 1;
            if (last ? !a.isRegularFile() : !a.isDirectory()) {
                throw new OutputRefusedException(file + " is not a " + (last ? "regular file" : "folder"));
            }
        }
        SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return new Stored(ch, ch.size(), a.fileKey() + "@" + a.lastModifiedTime().toInstant());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Path stagingDir(Path runDir, String partition) {
        Objects.requireNonNull(partition, "partition");
        if (partition.isEmpty() || partition.contains("/") || partition.contains("\\") || partition.equals(".")
                || partition.equals("..")) {
            throw new IllegalArgumentException("partition: must be one path segment, was '" + partition + "'");
        }
        return runDir.resolve(STAGING).resolve(partition);
    }

    /**
     * Walks {@code dir} from the root's real path down without following links, creating missing folders when
     * {@code create}, and returns its real path.
     *
     * @throws OutputRefusedException a component is a link or no folder, or {@code dir} is outside the root
     * @throws NoSuchFileException    a component is missing and {@code create} is false
     */
    private Path checkedDir(Path dir, boolean create) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (create) {
            Files.createDirectories(root);
        }
        Path realRoot = root.toRealPath();
        Path abs = dir.toAbsolutePath().normalize();
        Path rel;
        if (abs.startsWith(realRoot)) {
            rel = realRoot.relativize(abs);
        } else if (abs.startsWith(root)) {
            rel = root.relativize(abs);
        } else {
            throw new OutputRefusedException("refused " + abs + ": it is outside the output root " + realRoot);
        }
        Path current = realRoot;
        for (Path segment : rel) {
            if (segment.toString().isEmpty()) {
                continue;
            }
            current = current.resolve(segment);
            BasicFileAttributes a = attributes(current);
            if (a == null) {
                if (!create) {
                    throw new NoSuchFileException(current.toString());
                }
                try {
                    Files.createDirectory(current);
                } catch (FileAlreadyExistsException raced) {
                    // made meanwhile (another partition): checked below like any other
                }
                a = attributes(current);
                if (a == null) {
                    throw new NoSuchFileException(current.toString());
                }
            }
            if (a.isSymbolicLink()) {
                throw new OutputRefusedException("refused to use " + abs + ": " + current + " is a symbolic link"
                        + linkTarget(current) + "; files are never written or read through links, so that they stay"
                        + " inside the output root " + realRoot);
            }
            if (!a.isDirectory()) {
                throw new OutputRefusedException("refused to use " + abs + ": " + current + " is not a folder");
            }
        }
        return current;
    }

    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static String linkTarget(Path link) {
        try {
            return " (to " + Files.readSymbolicLink(link) + ")";
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    /** The system's reason of a file-system failure, naming its file unless it is {@code said} (named already). */
    private static String reason(IOException e, Path said) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            boolean named = f.getFile() == null || f.getFile().equals(said.toString());
            return f.getReason() + (named ? "" : " at " + f.getFile());
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
