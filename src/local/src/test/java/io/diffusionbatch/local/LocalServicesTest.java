package io.diffusionbatch.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How other processes find (or refuse to share) the local services of a data directory. */
class LocalServicesTest {

    @Test
    void aRunningServerIsFoundThroughItsDataDirectoryAndCannotBeStartedTwice(@TempDir Path dir) {
        try (LocalServices.Running running = LocalServices.start(dir, true)) {
            LocalServices s = LocalServices.discover(dir).orElseThrow();
            assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(s.jdbcUrl()).startsWith("jdbc:postgresql://localhost:");
            assertThat(s.bootstrapServers()).isEqualTo(running.services().bootstrapServers());
            assertThatThrownBy(() -> LocalServices.start(dir, true))
                    .hasMessageContaining("already served by process " + ProcessHandle.current().pid());
        }
        assertThat(LocalServices.discover(dir)).as("services.json is removed when the services stop").isEmpty();
    }

    @Test
    void aStaleFileOfADeadProcessOrNoFileMeansNoServer(@TempDir Path dir) throws Exception {
        assertThat(LocalServices.discover(dir)).isEmpty();
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Files.writeString(dir.resolve("services.json"), "{\"jdbcUrl\": \"jdbc:postgresql://localhost:1/postgres\", "
                + "\"bootstrapServers\": \"localhost:1\", \"pid\": " + p.pid() + "}");
        assertThat(LocalServices.discover(dir)).isEmpty();
        Files.writeString(dir.resolve("services.json"), "not json");
        assertThat(LocalServices.discover(dir)).isEmpty();
    }
}
