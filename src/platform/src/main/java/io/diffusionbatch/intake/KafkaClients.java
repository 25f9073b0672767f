package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every Kafka client of the platform (and of its CLI) is made here, so all of them get the same
 * settings. Keys are strings, values raw bytes.
 * <p>
 * A client's configuration is, from weakest to strongest:
 * <ol>
 *   <li>the platform's defaults that a user may tune ({@code linger.ms=5}, {@code max.request.size=16 MiB}
 *       for producers, {@code max.poll.records=50} for consumers);</li>
 *   <li>{@code diffusion.kafka.properties.*}: every client (security: {@code security.protocol},
 *       {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.location}, ...);</li>
 *   <li>{@code diffusion.kafka.producer.properties.*}, {@code .consumer.properties.*} or
 *       {@code .admin.properties.*}: that kind of client only;</li>
 *   <li>the platform's own settings, which cannot be set above (refused at start, see
 *       {@link DiffusionProperties.Kafka#FIXED}): brokers, serializers, {@code acks=all} and
 *       idempotence of producers; group, {@code enable.auto.commit=false},
 *       {@code auto.offset.reset=earliest} and {@code isolation.level=read_committed} of consumers;
 *       and the request timeouts an admin client is made with (the caller's, e.g. the health
 *       check's 3 s, win over a configured {@code request.timeout.ms} / {@code default.api.timeout.ms}).</li>
 * </ol>
 * {@code client.id} is {@code diffusion-<role>-<host>-<pid>} (with {@code -2}, {@code -3}, ... for a
 * role's further clients in one process), so brokers and tools tell the clients apart, unless
 * a {@code client.id} is configured: then that value is used as given, for every client it applies to.
 * Nothing here logs a setting (values may be secrets; Kafka's own configuration log hides password values).
 * <p>
 * Stateless apart from the per-role counters; thread-safe. No argument may be null.
 */
public final class KafkaClients {

    private static final String HOST = hostName();
    private static final Map<String, AtomicInteger> MADE = new ConcurrentHashMap<>();

    private KafkaClients() {
    }

    /**
     * A producer that waits for every in-sync replica's acknowledgement and never duplicates on retry.
     * The caller closes it.
     *
     * @param role what it is for, part of its {@code client.id} ({@code events}, {@code cli-submit}, ...)
     */
    public static KafkaProducer<String, byte[]> producer(DiffusionProperties.Kafka k, String role) {
        return producer(k, role, Map.of());
    }

    /**
     * As {@link #producer(DiffusionProperties.Kafka, String)}, with defaults of the caller's own that
     * configured settings win over (e.g. the event relay's shorter {@code max.block.ms}).
     */
    public static KafkaProducer<String, byte[]> producer(DiffusionProperties.Kafka k, String role,
                                                         Map<String, Object> defaults) {
        return new KafkaProducer<>(producerConfig(k, role, defaults));
    }

    /**
     * An admin client (topics, cluster description) whose requests give up after {@code timeoutMs}.
     * The caller closes it.
     *
     * @param role what it is for, part of its {@code client.id} ({@code topics}, {@code health}, ...)
     */
    public static Admin admin(DiffusionProperties.Kafka k, int timeoutMs, String role) {
        return Admin.create(adminConfig(k, timeoutMs, role));
    }

    /**
     * A consumer of {@code groupId}: manual commits, from the earliest uncommitted record,
     * committed records only. The caller closes it; one thread at a time uses it (Kafka's rule).
     *
     * @param role what it is for, part of its {@code client.id} ({@code intake}, {@code cli-follow}, ...)
     */
    public static KafkaConsumer<String, byte[]> consumer(DiffusionProperties.Kafka k, String groupId, String role) {
        return new KafkaConsumer<>(consumerConfig(k, groupId, role));
    }

    /**
     * The configuration {@link #producer} makes its producer with (a fresh mutable map): the caller's
     * defaults over the platform's, under the configured settings.
     */
    static Map<String, Object> producerConfig(DiffusionProperties.Kafka k, String role, Map<String, Object> defaults) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
        p.putAll(defaults);
        configured(p, k, k.producer(), role);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** The configuration {@link #admin} makes its client with (a fresh mutable map). */
    static Map<String, Object> adminConfig(DiffusionProperties.Kafka k, int timeoutMs, String role) {
        Map<String, Object> p = new HashMap<>();
        configured(p, k, k.admin(), role);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        return p;
    }

    /** The configuration {@link #consumer} makes its consumer with (a fresh mutable map). */
    public static Map<String, Object> consumerConfig(DiffusionProperties.Kafka k, String groupId, String role) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        configured(p, k, k.consumer(), role);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    /** The common settings, then the kind's, the brokers, and a client id unless one is configured. */
    private static void configured(Map<String, Object> p, DiffusionProperties.Kafka k,
                                   DiffusionProperties.Client kind, String role) {
        if (role == null || !role.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a Kafka client's role is a word of letters, digits, '.', '_', '-': "
                    + role);
        }
        p.putAll(k.properties());
        p.putAll(kind.properties());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers());
        p.computeIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, key -> clientId(role));
    }

    private static String clientId(String role) {
        int n = MADE.computeIfAbsent(role, r -> new AtomicInteger()).incrementAndGet();
        return "diffusion-" + role + "-" + HOST + "-" + ProcessHandle.current().pid() + (n == 1 ? "" : "-" + n);
    }

    private static String hostName() {
        String name = System.getenv("HOSTNAME"); // a pod's name in Kubernetes; no lookup needed
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                name = "localhost";
            }
        }
        String clean = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return clean.isEmpty() ? "localhost" : clean;
    }
}
