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
            stopOrphan(dataDir);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port == 0 ? FreePorts.pick() : port)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("max_connections", "60")
                    // the embedded defaults trade durability for speed (-F, synchronous_commit off);
                    // a ledger that acknowledges Kafka records after its commit must not
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .start();
            return new LocalPostgres(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("local Postgres: cannot start in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A server left running by a process that died (kill -9 of the JVM does not stop its child
     * postgres) still holds the data directory; the caller has checked that no live process
     * owns it, so the orphan is asked to stop (SIGTERM: a fast shutdown, nothing is lost).
     */
    private static void stopOrphan(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (RuntimeException e) {
            return;
        }
        ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(false))
                .ifPresent(h -> {
                    h.destroy();
                    try {
                        h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                });
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
