package io.diffusionbatch.local;

import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How other processes find (or refuse to share) the local services of a data directory. */
class LocalServicesTest {

    @Test
    void aRunningServerIsFoundThroughItsDataDirectoryAndCannotBeStartedTwice() {
        TestServer server = TestServer.get();
        LocalServices s = LocalServices.discover(server.dataDir()).orElseThrow();
        assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(s.jdbcUrl()).startsWith("jdbc:postgresql://localhost:");
        assertThat(s.bootstrapServers()).isEqualTo(server.props().kafka().bootstrapServers());
        assertThatThrownBy(() -> LocalServices.start(server.dataDir(), true))
                .hasMessageContaining("already served by process " + ProcessHandle.current().pid());
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
