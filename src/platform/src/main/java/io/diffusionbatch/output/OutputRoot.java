package io.diffusionbatch.output;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The output root of this instance, and the one place that turns a run's folder as the ledger keeps it into a folder
 * on this instance. The ledger keeps the folder relative to the root ({@code requests/2026/run-42}), so instances
 * that mount the same shared volume at different paths find the same files. Rows written by older versions hold
 * the absolute folder of the instance that accepted them: one inside this root counts as its path below the root
 * (under the root as configured or under its real path, the root may be a link); one outside fails with a message
 * that names the run, the folder and the root.
 *
 * <p>Only text is checked here, the file system is not (but for the root's real path): the {@link OutputStore}
 * checks every write and read again. Arguments are never null. Immutable and thread-safe.
 */
public final class OutputRoot {

    private final Path root;

    /** @param root the configured output root; made absolute and normalised against the working directory */
    public OutputRoot(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The output root as configured (absolute, normalised). */
    public Path path() {
        return root;
    }

    /**
     * A run's folder as kept in the ledger, relative to the root: the stored value itself, or the part below the
     * root of an absolute folder an older version stored.
     *
     * @param run    the run's id, for the message
     * @param stored the run's {@code output_dir}
     * @return the folder below the root, segments separated by {@code /}; empty for the root itself
     * @throws OutputRefusedException when it lies outside this root, naming the run, the folder and the root
     */
    public String relative(long run, String stored) {
        Objects.requireNonNull(stored, "stored");
        Path p = Path.of(stored).normalize();
        if (!p.isAbsolute()) {
            if (p.startsWith("..")) {
                throw new OutputRefusedException("run " + run + ": its output folder '" + stored
                        + "' leaves the output root " + root);
            }
            return slashes(p);
        }
        for (Path base : bases()) {
            if (p.startsWith(base)) {
                return slashes(base.relativize(p));
            }
        }
        throw new OutputRefusedException("run " + run + ": its output folder " + stored + " (stored as an absolute"
                + " path by an older version) is outside this instance's output root " + root + "; set"
                + " diffusion.output-root to the folder that holds it here, or move the run's files under the root");
    }

    /**
     * The run's folder on this instance.
     *
     * @throws OutputRefusedException as {@link #relative}
     */
    public Path folder(long run, String stored) {
        return root.resolve(relative(run, stored));
    }

    /**
     * The run's folder for people to read: its absolute path on this instance, or, when it is outside this root,
     * the stored folder and why it cannot be used. Never throws for a folder outside the root.
     *
     * @param stored the run's {@code output_dir}, or a file in it ({@code output_dir + "/" + path})
     */
    public String shown(long run, String stored) {
        try {
            return folder(run, stored).toString();
        } catch (OutputRefusedException e) {
            return stored + " (outside this instance's output root " + root + ")";
        }
    }

    /**
     * Every value under which the ledger may keep the folder {@code relative}: itself and, as older versions stored
     * it, the absolute folder under the root and under the root's real path. For comparing runs' folders.
     *
     * @param relative a folder as {@link #relative} returns it
     */
    public List<String> storedForms(String relative) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(relative);
        for (Path base : bases()) {
            forms.add(base.resolve(relative).toString());
        }
        return List.copyOf(forms);
    }

    /** The root as configured and its real path (when it exists): the two prefixes of absolute folders. */
    private List<Path> bases() {
        try {
            return List.of(root, root.toRealPath());
        } catch (IOException e) {
            return List.of(root);
        }
    }

    private static String slashes(Path relative) {
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
