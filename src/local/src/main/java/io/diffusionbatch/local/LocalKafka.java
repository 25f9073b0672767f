package io.diffusionbatch.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One Apache Kafka node (broker and KRaft controller in one process, this JVM), its log
 * directory in {@code dataDir}, formatted on first start. Topics are created with replication
 * factor 1. Not thread-safe: start and close from one thread.
 */
public final class LocalKafka implements AutoCloseable {

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private LocalKafka(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts the node; {@code port} 0 picks a free port for clients (the controller always gets
     * a free one).
     */
    public static LocalKafka start(Path dataDir, int port) {
        return start(dataDir, port, "PLAINTEXT", Map.of());
    }

    /**
     * Starts a node whose client listener speaks {@code protocol} (e.g. {@code SASL_PLAINTEXT}; the
     * broker uses it for its own traffic too, the controller listener stays plaintext on loopback),
     * with {@code brokerSettings} added to (and winning over) the node's settings: how a secured
     * cluster is tried locally.
     *
     * @param protocol       a Kafka security protocol name, used as the listener's name
     * @param brokerSettings e.g. {@code sasl.enabled.mechanisms}, a listener's JAAS configuration
     */
    public static LocalKafka start(Path dataDir, int port, String protocol, Map<String, String> brokerSettings) {
        try {
            Path logs = dataDir.resolve("logs");
            Files.createDirectories(logs);
            int clientPort = port == 0 ? FreePorts.pick() : port;
            int controllerPort = FreePorts.pick();
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
            p.put("listeners", protocol + "://localhost:" + clientPort + ",CONTROLLER://localhost:" + controllerPort);
            p.put("advertised.listeners", protocol + "://localhost:" + clientPort);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("inter.broker.listener.name", protocol);
            p.put("listener.security.protocol.map", protocol + ":" + protocol + ",CONTROLLER:PLAINTEXT");
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
            p.put("message.max.bytes", Integer.toString(16 << 20)); // a request may carry megabytes of prompts
            p.put("log.retention.hours", "168");
            p.putAll(brokerSettings);
            if (!Files.exists(logs.resolve("meta.properties"))) {
                format(dataDir, p);
            }
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
            server.startup();
            return new LocalKafka(server, "localhost:" + clientPort);
        } catch (IOException e) {
            throw new UncheckedIOException("local Kafka: cannot start in " + dataDir + ": " + e.getMessage(), e);
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

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
