package io.diffusionbatch.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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

    /**
     * A client command (e.g. {@code runs}) while the server's database is stopped: it says so,
     * naming the server's process and the database's address, rather than trying to start a
     * second PostgreSQL on the same data (which failed on its lock file).
     */
    @Test
    void aClientOfAServerWhoseDatabaseIsDownIsToldSo(@TempDir Path dir) {
        try (LocalServices.Running running = LocalServices.start(dir, true)) {
            String address = running.services().databaseAddress();
            running.stopPostgres();
            try {
                GenericApplicationContext ctx = new GenericApplicationContext();
                ctx.getEnvironment().getPropertySources().addFirst(new MapPropertySource("test",
                        Map.of("diffusion.local.mode", "client", "diffusion.data-dir", dir.toString())));
                assertThatThrownBy(() -> new LocalModeInitializer().initialize(ctx))
                        .hasMessageContaining("process " + ProcessHandle.current().pid())
                        .hasMessageContaining("PostgreSQL at " + address + " does not answer");
            } finally {
                running.startPostgres();
            }
            assertThat(LocalServices.discover(dir)).as("found again once the database is back").isPresent();
        }
    }
}
