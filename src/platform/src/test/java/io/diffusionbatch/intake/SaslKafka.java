package io.diffusionbatch.intake;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A one-node Kafka (broker and KRaft controller, this JVM) whose only client listener is
 * {@code SASL_PLAINTEXT} with the PLAIN mechanism: users {@value #USER} / {@value #PASSWORD} (also
 * the broker's own) and nobody else; no authorizer, so an authenticated user may do anything. The
 * controller listener is plaintext on loopback. Not thread-safe: start and close from one thread.
 */
final class SaslKafka implements AutoCloseable {

    static final String USER = "diffusion";
    static final String PASSWORD = "s3cret-pw";

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private SaslKafka(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    static SaslKafka start(Path dataDir) {
        try {
            Path logs = dataDir.resolve("logs");
            Files.createDirectories(logs);
            int clientPort = freePort();
            int controllerPort = freePort();
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
            p.put("listeners", "SASL_PLAINTEXT://localhost:" + clientPort + ",CONTROLLER://localhost:" + controllerPort);
            p.put("advertised.listeners", "SASL_PLAINTEXT://localhost:" + clientPort);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
            p.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER
                            + "\" password=\"" + PASSWORD + "\" user_" + USER + "=\"" + PASSWORD + "\";");
            p.put("log.dirs", logs.toAbsolutePath().toString());
            p.put("num.partitions", "1");
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "1");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("auto.create.topics.enable", "false");
            p.put("message.max.bytes", Integer.toString(16 << 20));
            format(dataDir, p);
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
            server.startup();
            return new SaslKafka(server, "localhost:" + clientPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The client settings that log in as {@code user} with {@code password} over SASL/PLAIN. */
    static Map<String, String> clientSettings(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void format(Path dataDir, Properties p) throws IOException {
        Path file = dataDir.resolve("format.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "written for kafka-storage format");
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[]{"format", "-t", Uuid.randomUuid().toString(),
                    "-c", file.toString(), "--ignore-formatted"}, ps);
        }
        Files.delete(file);
        if (rc != 0) {
            throw new IOException("kafka-storage format failed (" + rc + "): " + log.toString(StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
