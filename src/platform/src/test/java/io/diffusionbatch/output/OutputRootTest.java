package io.diffusionbatch.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Run folders as the ledger keeps them, found under each instance's own mount of the output root. */
class OutputRootTest {

    @TempDir
    Path tmp;

    @Test
    void aStoredFolderIsFoundUnderEachMountOfTheSharedRoot() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("volume"));
        Path mountA = Files.createSymbolicLink(tmp.resolve("mnt-a"), shared);
        Path mountB = Files.createSymbolicLink(tmp.resolve("mnt-b"), shared);
        OutputRoot a = new OutputRoot(mountA);
        OutputRoot b = new OutputRoot(mountB);
        // instance A writes the run's file where it finds the folder
        LocalOutputStore storeA = new LocalOutputStore(a.path());
        Path staged = storeA.staging(a.folder(42, "requests/2026/run-42"), "p0").resolve("0-1.png");
        Files.writeString(staged, "png");
        storeA.publish(a.folder(42, "requests/2026/run-42"), staged);

        assertThat(b.folder(42, "requests/2026/run-42")).isEqualTo(mountB.resolve("requests/2026/run-42"));
        try (OutputStore.Stored f = new LocalOutputStore(b.path()).open(b.folder(42, "requests/2026/run-42"), "0-1.png")) {
            assertThat(f.size()).isEqualTo("png".getBytes(StandardCharsets.UTF_8).length);
        }
        assertThat(b.relative(42, "requests/2026/run-42")).isEqualTo("requests/2026/run-42");
        assertThat(b.shown(42, "requests/2026/run-42/0-1.png")).isEqualTo(mountB.resolve("requests/2026/run-42/0-1.png").toString());
    }

    @Test
    void aRelativeFolderThatLeavesTheRootIsRefused() {
        OutputRoot root = new OutputRoot(tmp.resolve("root"));
        assertThatThrownBy(() -> root.folder(7, "a/../../etc")).isInstanceOf(OutputRefusedException.class)
                .hasMessage("run 7: its output folder 'a/../../etc' leaves the output root " + tmp.resolve("root"));
    }

    /** Rows of older versions hold the accepting instance's absolute folder, under the root or its real path. */
    @Test
    void anOlderVersionsAbsoluteFolderInsideTheRootIsItsPathBelowTheRoot() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("volume")).toRealPath();
        Path link = Files.createSymbolicLink(tmp.resolve("mnt"), real);
        OutputRoot root = new OutputRoot(link);
        assertThat(root.relative(3, link.resolve("runs/x").toString())).isEqualTo("runs/x");
        assertThat(root.relative(3, real.resolve("runs/x").toString())).as("intake stored the real path").isEqualTo("runs/x");
        assertThat(root.folder(3, real.resolve("runs/x").toString())).isEqualTo(link.resolve("runs/x"));
        assertThat(root.storedForms("runs/x")).containsExactly("runs/x", link.resolve("runs/x").toString(),
                real.resolve("runs/x").toString());
    }

    @Test
    void anOlderVersionsAbsoluteFolderOutsideTheRootIsAClearError() {
        OutputRoot root = new OutputRoot(tmp.resolve("mnt"));
        String old = tmp.resolve("elsewhere/data/outputs/runs/x").toString();
        assertThatThrownBy(() -> root.folder(9, old)).isInstanceOf(OutputRefusedException.class)
                .hasMessage("run 9: its output folder " + old + " (stored as an absolute path by an older version) is"
                        + " outside this instance's output root " + tmp.resolve("mnt") + "; set diffusion.output-root"
                        + " to the folder that holds it here, or move the run's files under the root");
        assertThat(root.shown(9, old)).isEqualTo(old + " (outside this instance's output root " + tmp.resolve("mnt") + ")");
        assertThat(root.storedForms("runs/x")).as("a root that does not exist yet has one absolute form")
                .containsExactly("runs/x", tmp.resolve("mnt/runs/x").toString());
    }

    @Test
    void aRelativeRootIsTakenFromTheWorkingDirectory() {
        assertThat(new OutputRoot(Path.of("data/outputs")).path())
                .isEqualTo(Path.of("").toAbsolutePath().resolve("data/outputs"));
    }
}
