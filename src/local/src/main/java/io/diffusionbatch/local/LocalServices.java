package io.diffusionbatch.local;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The local Postgres and Kafka of one data directory, and the {@code services.json} file that
 * lets other processes (the CLI's {@code submit}, {@code runs}, {@code cancel}) find a running
 * server. Layout: {@code DATA/postgres/}, {@code DATA/kafka/}, {@code DATA/services.json}.
 * Not thread-safe.
 *
 * @param jdbcUrl          JDBC URL of the database
 * @param bootstrapServers Kafka bootstrap servers, or null when Kafka was not started
 * @param pid              the process that owns the services
 */
public record LocalServices(String jdbcUrl, String bootstrapServers, long pid) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A started set of services; closing stops Kafka, then Postgres, and removes services.json. */
    public static final class Running implements AutoCloseable {
        private final Path dataDir;
        private LocalPostgres postgres;
        private LocalKafka kafka;
        private final LocalServices services;

        private Running(Path dataDir, LocalPostgres postgres, LocalKafka kafka) {
            this.dataDir = dataDir;
            this.postgres = postgres;
            this.kafka = kafka;
            this.services = new LocalServices(postgres.jdbcUrl(), kafka == null ? null : kafka.bootstrapServers(),
                    ProcessHandle.current().pid());
        }

        public LocalServices services() {
            return services;
        }

        /**
         * Stops PostgreSQL alone (Kafka and the application keep running), as a database outage
         * would; {@link #startPostgres()} brings it back with the same data on the same port. For
         * fault drills and tests.
         */
        public synchronized void stopPostgres() {
            postgres.close();
        }

        /** Starts PostgreSQL again after {@link #stopPostgres()}: same data directory, same port. */
        public synchronized void startPostgres() {
            postgres = LocalPostgres.start(dataDir.resolve("postgres"), postgres.port());
        }

        /**
         * Stops the Kafka broker alone, as a broker outage would; {@link #startKafka()} brings it back
         * with the same data on the same port. For fault drills and tests.
         *
         * @throws IllegalStateException when these services run without Kafka
         */
        public synchronized void stopKafka() {
            kafka().close();
        }

        /** Starts the broker again after {@link #stopKafka()}: same data directory, same port. */
        public synchronized void startKafka() {
            String address = kafka().bootstrapServers();
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            kafka = LocalKafka.start(dataDir.resolve("kafka"), port);
        }

        private LocalKafka kafka() {
            if (kafka == null) {
                throw new IllegalStateException("these local services run without Kafka");
            }
            return kafka;
        }

        @Override
        public void close() {
            try {
                synchronized (this) {
                    if (kafka != null) {
                        kafka.close();
                    }
                }
            } finally {
                synchronized (this) {
                    postgres.close();
                }
                try {
                    Files.deleteIfExists(dataDir.resolve("services.json"));
                } catch (IOException ignored) {
                    // a stale file is detected by its dead pid
                }
            }
        }
    }

    /**
     * Starts Postgres and, when {@code withKafka}, Kafka for {@code dataDir}, and records them in
     * services.json.
     *
     * @throws IllegalStateException when another live process already serves this data directory
     */
    public static Running start(Path dataDir, boolean withKafka) {
        Optional<LocalServices> other = discover(dataDir);
        if (other.isPresent()) {
            throw new IllegalStateException("data directory " + dataDir + " is already served by process "
                    + other.get().pid() + "; stop it or use another --data-dir");
        }
        LocalPostgres pg = LocalPostgres.start(dataDir.resolve("postgres"), 0);
        LocalKafka kafka = null;
        try {
            if (withKafka) {
                kafka = LocalKafka.start(dataDir.resolve("kafka"), 0);
            }
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
        Running r = new Running(dataDir, pg, kafka);
        if (withKafka) {
            r.services().write(dataDir);
        }
        return r;
    }

    /** The services a live process started for {@code dataDir}, if any (reachable and alive). */
    public static Optional<LocalServices> discover(Path dataDir) {
        return recorded(dataDir).filter(s -> s.alive() && s.reachable());
    }

    /**
     * The services recorded for {@code dataDir} by a process that is still alive, whether or not
     * they answer now (a server whose database stopped still owns the data directory).
     */
    public static Optional<LocalServices> owner(Path dataDir) {
        return recorded(dataDir).filter(LocalServices::alive);
    }

    private static Optional<LocalServices> recorded(Path dataDir) {
        Path file = dataDir.resolve("services.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            return Optional.of(new LocalServices(n.get("jdbcUrl").asString(),
                    n.hasNonNull("bootstrapServers") ? n.get("bootstrapServers").asString() : null,
                    n.get("pid").asLong()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Host and port of the database, e.g. {@code localhost:5432}. */
    public String databaseAddress() {
        return URI.create(jdbcUrl.substring("jdbc:".length())).getAuthority();
    }

    /** Whether the database and (when recorded) the broker accept connections now. */
    public boolean reachable() {
        return databaseReachable() && (bootstrapServers == null || canConnect(bootstrapServers.split(",")[0]));
    }

    /** Whether the database accepts connections now. */
    public boolean databaseReachable() {
        return canConnect(databaseAddress());
    }

    private static boolean canConnect(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))), 1000);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Adds the dashboard's URL ({@code dashboardUrl}) to the services.json of {@code dataDir} when
     * this process wrote it (a client process or external services keep none: nothing happens).
     */
    public static void recordDashboard(Path dataDir, String url) {
        Path file = dataDir.resolve("services.json");
        try {
            if (!Files.isRegularFile(file)) {
                return;
            }
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof tools.jackson.databind.node.ObjectNode o) || o.path("pid").asLong() != ProcessHandle.current().pid()) {
                return;
            }
            o.put("dashboardUrl", url);
            Path tmp = dataDir.resolve("services.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void write(Path dataDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jdbcUrl", jdbcUrl);
        m.put("bootstrapServers", bootstrapServers);
        m.put("pid", pid);
        try {
            Path tmp = dataDir.resolve("services.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
            Files.move(tmp, dataDir.resolve("services.json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dataDir.resolve("services.json"), e);
        }
    }
}
