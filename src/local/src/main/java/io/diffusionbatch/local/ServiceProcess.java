package io.diffusionbatch.local;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A local service in a process of its own, as cluster mode runs them: {@code ServiceProcess kafka DIR [PORT]}
 * starts a one-node Kafka ({@link LocalKafka}: Apache Kafka's broker and KRaft controller, plaintext on
 * localhost), {@code ServiceProcess postgres DIR [PORT]} a PostgreSQL ({@link LocalPostgres}: the embedded
 * binaries, user and password {@code postgres}), with their data in {@code DIR} (0 or no port: a free one).
 * Once the service answers it prints one line, {@value #READY} and its address (the bootstrap servers, or
 * the JDBC URL), and it runs until SIGTERM or SIGINT, which stop the service cleanly (PostgreSQL: a fast
 * shutdown). What {@code cluster-demo} starts; a JVM of its own also keeps the broker's threads and
 * memory out of the processes it serves.
 */
public final class ServiceProcess {

    /** The line printed, followed by the address, once the service answers. */
    public static final String READY = "service-ready ";

    private ServiceProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2 || !(args[0].equals("kafka") || args[0].equals("postgres"))) {
            System.err.println("usage: ServiceProcess kafka|postgres DATA_DIR [PORT]");
            System.exit(2);
        }
        quietLogs();
        Path dir = Path.of(args[1]).toAbsolutePath();
        int port = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        AutoCloseable service;
        String address;
        if (args[0].equals("kafka")) {
            LocalKafka kafka = LocalKafka.start(dir, port);
            service = kafka;
            address = kafka.bootstrapServers();
        } else {
            LocalPostgres postgres = LocalPostgres.start(dir, port);
            service = postgres;
            address = postgres.jdbcUrl();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
                System.out.println("service-stopped " + args[0]);
            } catch (Exception e) {
                System.out.println("service-stop-failed " + args[0] + ": " + e);
            } finally {
                stopped.countDown();
            }
        }, args[0] + "-stop"));
        System.out.println(READY + address);
        System.out.flush();
        stopped.await(); // until SIGTERM/SIGINT: the shutdown hook stops the service
    }

    /** Without a Spring context logback logs everything at DEBUG: the broker's INFO and above is plenty. */
    private static void quietLogs() {
        try {
            LoggingSystem logs = LoggingSystem.get(ServiceProcess.class.getClassLoader());
            logs.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.INFO);
            logs.setLogLevel("org.apache.kafka", LogLevel.WARN);
            logs.setLogLevel("kafka", LogLevel.WARN);
            logs.setLogLevel("state.change.logger", LogLevel.WARN);
        } catch (RuntimeException | LinkageError e) {
            // no logging system to tune: the log is only longer
        }
    }
}
