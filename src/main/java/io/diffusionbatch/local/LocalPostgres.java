package io.diffusionbatch.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A PostgreSQL server from the embedded binaries, its cluster kept in {@code dataDir} so a second
 * start finds the earlier runs. Runs as root too (the binaries drop nothing; zonky starts
 * {@code postgres} directly). Not thread-safe: start and close from one thread.
 */
public final class LocalPostgres implements AutoCloseable {

    private final EmbeddedPostgres server;

    private LocalPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * Starts the server on {@code port} (0 = a free port), creating the cluster on first use.
     *
     * @throws UncheckedIOException when it cannot start (the message says where its log is)
     */
    public static LocalPostgres start(Path dataDir, int port) {
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port == 0 ? FreePorts.pick() : port)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("max_connections", "60")
                    .start();
            return new LocalPostgres(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("local Postgres: cannot start in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** JDBC URL of the {@code postgres} database as user {@code postgres}. */
    public String jdbcUrl() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("local Postgres: cannot stop: " + e.getMessage(), e);
        }
    }
}
