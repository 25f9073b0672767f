package io.diffusionbatch.engine.model;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every bundled model together stays within the 40 MB the repository allows them (issue 4). Files
 * linked from one model folder to another (shapes-lcm shares shapes-ldm's text encoder and VAE) are
 * stored once and counted once. Each folder opens as a model (or holds the evaluator).
 */
class BundledModelsBudgetTest {

    static final long BUDGET_BYTES = 40_000_000L;

    @Test
    void allModelsFitTheBudgetCountingLinkedFilesOnce() throws IOException {
        long total;
        try (Stream<Path> files = Files.walk(Path.of("models"))) {
            total = files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
        System.out.printf("bundled models: %,d bytes of %,d%n", total, BUDGET_BYTES);
        assertThat(total).isLessThanOrEqualTo(BUDGET_BYTES);
        try (Stream<Path> dirs = Files.list(Path.of("models"))) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                if (Files.exists(d.resolve("model_index.json"))) {
                    assertThat(ModelFolder.open(d).unet()).as(d.toString()).isRegularFile();
                } else {
                    assertThat(d.resolve("labels.json")).as(d + ": neither a model nor the evaluator").isRegularFile();
                }
            }
        }
    }
}
