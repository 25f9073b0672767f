package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At the end of a run, removes the files a worker wrote for items that have no output row: a
 * micro-batch whose files were moved into place but whose ledger transaction never committed
 * (the process died, the database went away for good, the run failed while publishing) leaves
 * complete files that no row names. A resumed partition makes such items again under the same
 * names, so only a run that ends with them unmade (cancelled, failed) keeps them; this removes
 * them, and the staging folder. Only regular files named like an item of this run
 * ({@code INDEX-SEED.*}, {@link PartitionWorker#fileStem}: the same index and seed) are touched,
 * and none that another run writing into the same folder records; nothing is done when a
 * symbolic link lies on the path from the output root to the run's folder. Stateless.
 */
final class OrphanFiles {

    private static final Logger LOG = LoggerFactory.getLogger(OrphanFiles.class);
    private static final Pattern ITEM_FILE = Pattern.compile("((\\d{8,})-(-?\\d+))\\..+");
    private static final int QUERY_CHUNK = 10_000;

    private OrphanFiles() {
    }

    /**
     * @param root   the output root
     * @param folder the run's folder below the root, as {@link OutputRoot#relative} gives it
     * @return how many files were removed
     */
    static int sweep(OutputRoot root, String folder, long requestId, ItemStore items, OutputStore store) {
        Path runDir = root.path().resolve(folder);
        try {
            if (!Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS) || !linkFree(root.path(), runDir)) {
                return 0;
            }
            Map<String, List<Path>> byStem = new HashMap<>();
            Map<String, long[]> named = new HashMap<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir)) {
                for (Path f : files) {
                    Matcher m = ITEM_FILE.matcher(f.getFileName().toString());
                    if (m.matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        byStem.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(f);
                        named.put(m.group(1), new long[]{Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
                    }
                }
            }
            int removed = 0;
            List<String> stems = new ArrayList<>(byStem.keySet());
            for (int from = 0; from < stems.size(); from += QUERY_CHUNK) {
                List<String> chunk = stems.subList(from, Math.min(stems.size(), from + QUERY_CHUNK));
                Set<String> orphans = items.orphanStems(requestId, root.storedForms(folder),
                        chunk.stream().map(s -> named.get(s)[0]).toList(), chunk.stream().map(s -> named.get(s)[1]).toList(),
                        chunk);
                for (String stem : orphans) {
                    for (Path f : byStem.get(stem)) {
                        Files.deleteIfExists(f);
                        removed++;
                    }
                }
            }
            clearStaging(runDir, store);
            if (removed > 0) {
                LOG.info("run {}: removed {} files of items without an output row", requestId, removed);
            }
            return removed;
        } catch (IOException e) {
            throw new UncheckedIOException("run " + requestId + ": cannot clean " + runDir + ": " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            return 0; // a name with digits beyond a long: not an item's
        }
    }

    /** Whether the run's folder is reached from the root's real path without any link (the root may be one). */
    private static boolean linkFree(Path root, Path runDir) throws IOException {
        Path rel = root.toAbsolutePath().normalize().relativize(runDir.toAbsolutePath().normalize());
        if (rel.startsWith("..") || rel.isAbsolute()) {
            return false;
        }
        boolean ok = runDir.toRealPath().equals(root.toRealPath().resolve(rel).normalize());
        if (!ok) {
            LOG.warn("{} is reached through a symbolic link; its leftover files are not removed", runDir);
        }
        return ok;
    }

    /** Clears every partition's staging folder through the store (which refuses links), then the empty {@code .staging}. */
    private static void clearStaging(Path runDir, OutputStore store) throws IOException {
        Path staging = runDir.resolve(".staging");
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> partitions = Files.newDirectoryStream(staging)) {
            for (Path p : partitions) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    store.clearStaging(runDir, p.getFileName().toString());
                } else {
                    Files.deleteIfExists(p); // a stray file or link: removed itself, never followed
                }
            }
        }
        try {
            Files.deleteIfExists(staging);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            LOG.warn("{} is not empty after clearing its partitions", staging);
        }
    }
}
