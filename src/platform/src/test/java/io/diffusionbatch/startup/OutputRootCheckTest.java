package io.diffusionbatch.startup;

import io.diffusionbatch.platform.DependencyFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The output root check makes a missing root, leaves nothing behind, and names a root it cannot use. */
class OutputRootCheckTest {

    @Test
    void aMissingRootIsMadeAndLeftEmpty(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("a/b");
        assertThat(OutputRootCheck.check(root)).matches("writable, [0-9.]+ GiB free");
        try (var files = Files.list(root)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aRootThatIsAFileIsOneLineWithTheOutputRootsExitCode(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> OutputRootCheck.check(file))
                .isInstanceOfSatisfying(DependencyFailure.class, f -> {
                    assertThat(f.service().exitCode()).isEqualTo(12);
                    assertThat(f.getMessage()).startsWith("cannot write to the output root " + file + ": ");
                });
    }
}
