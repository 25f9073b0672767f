package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
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
 * (the process died, or the database went away for good) leaves complete files that no row
 * names. A resumed partition makes such items again under the same names, so only a run that
 * ends with them unmade (cancelled, failed) keeps them; this removes them, and the staging folder.
 * Only regular files named like an item of this run ({@code INDEX-SEED.*}, {@link PartitionWorker#fileStem})
 * whose index has no output row are touched; links are never followed. Stateless.
 */
final class OrphanFiles {

    private static final Logger LOG = LoggerFactory.getLogger(OrphanFiles.class);
    private static final Pattern ITEM_FILE = Pattern.compile("(\\d{8,})-(-?\\d+)\\..+");
    private static final int QUERY_CHUNK = 10_000;

    private OrphanFiles() {
    }

    /** Clears every partition's staging folder through the store (which refuses links), then the empty {@code .staging}. */
    private static void clearStaging(Path runDir, OutputStore store) throws IOException {
        Path staging = runDir.resolve(".staging");
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> partitions = Files.newDirectoryStream(staging)) {
            for (Path p : partitions) {
                store.clearStaging(runDir, p.getFileName().toString());
            }
        }
        try {
            Files.deleteIfExists(staging);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            LOG.warn("{} is not empty after clearing its partitions", staging);
        }
    }

    /** @return how many files were removed */
    static int sweep(Path runDir, long requestId, ItemStore items, OutputStore store) {
        if (!Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        Map<Long, List<Path>> byIndex = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir)) {
            for (Path f : files) {
                Matcher m = ITEM_FILE.matcher(f.getFileName().toString());
                if (m.matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    byIndex.computeIfAbsent(Long.parseLong(m.group(1)), k -> new ArrayList<>()).add(f);
                }
            }
            int removed = 0;
            List<Long> indices = new ArrayList<>(byIndex.keySet());
            for (int from = 0; from < indices.size(); from += QUERY_CHUNK) {
                List<Long> chunk = indices.subList(from, Math.min(indices.size(), from + QUERY_CHUNK));
                Set<Long> orphans = items.withoutOutput(requestId, chunk);
                for (Long idx : orphans) {
                    for (Path f : byIndex.get(idx)) {
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
        }
    }
}
