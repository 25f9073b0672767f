package io.diffusionbatch.faults;

import io.diffusionbatch.local.LocalKafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A one-node Kafka ({@link LocalKafka}: broker and KRaft controller) in a process of its own, as in
 * production, whose only client listener is {@code SASL_PLAINTEXT} with the PLAIN mechanism (user
 * {@value #USER}, password {@value #PASSWORD}; the broker's own too). The test side starts it with
 * {@link #start}, stops it with {@link #stop} (SIGTERM: a clean shutdown) and starts it again on the
 * same port and data directory; the child side is {@link #main}. Not thread-safe.
 */
public final class KafkaProcess implements AutoCloseable {

    public static final String USER = "diffusion";
    public static final String PASSWORD = "replicas-pw";
    /** The line the child prints, followed by its bootstrap address, once the node serves. */
    static final String READY = "kafka-ready ";

    private final Path dataDir;
    private final int port;
    private final Path log;
    private Process process;

    private KafkaProcess(Path dataDir, int port, Path log) {
        this.dataDir = dataDir;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts the node in a child JVM on this test's class path, on a free port, and waits until it
     * serves (at most {@code timeout}); its output goes to {@code dataDir/kafka.log}.
     */
    public static KafkaProcess start(Path dataDir, Duration timeout) throws Exception {
        KafkaProcess k = new KafkaProcess(dataDir, freePort(), dataDir.resolve("kafka.log"));
        k.restart(timeout);
        return k;
    }

    /** Starts the node again (after {@link #stop}) on the same port and data directory, and waits until it serves. */
    public void restart(Duration timeout) throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the broker runs");
        }
        Files.createDirectories(dataDir);
        long from = Files.exists(log) ? Files.size(log) : 0;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KafkaProcess.class.getName(),
                dataDir.toString(), Integer.toString(port));
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ServerProcess.logSince(log, from).contains(READY)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the Kafka process did not start (alive: " + process.isAlive() + "); its log:\n"
                        + ServerProcess.tail(log, 60));
            }
            Thread.sleep(200);
        }
    }

    /** Stops the node (SIGTERM, a clean shutdown; SIGKILL after 60 s) and waits for its end. */
    public void stop() throws InterruptedException {
        ServerProcess.stop(process, Duration.ofSeconds(60));
    }

    /** Whether the node's process runs. */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** The client settings that log in over SASL/PLAIN, as {@code diffusion.kafka.properties} takes them. */
    public static Map<String, String> clientSettings() {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + PASSWORD + "\";");
    }

    /** The node's log file (every start appends to it). */
    public Path log() {
        return log;
    }

    /** The last lines of the node's log. */
    public String tail(int lines) {
        return ServerProcess.tail(log, lines);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The child: {@code KafkaProcess DATA_DIR PORT} starts the node, prints {@value #READY} and its
     * address, and serves until SIGTERM, which shuts it down cleanly.
     */
    public static void main(String[] args) throws Exception {
        LocalKafka node = LocalKafka.start(Path.of(args[0]), Integer.parseInt(args[1]), "SASL_PLAINTEXT", Map.of(
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER
                        + "\" password=\"" + PASSWORD + "\" user_" + USER + "=\"" + PASSWORD + "\";"));
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "kafka-stop"));
        System.out.println(READY + node.bootstrapServers());
        System.out.flush();
        new CountDownLatch(1).await(); // until SIGTERM: the shutdown hook closes the node
    }
}
