package io.diffusionbatch.platform;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings under {@code diffusion.*} (defaults in the jar's application.yaml, overridden by
 * {@code config/application.yaml}, profiles and environment variables such as
 * {@code DIFFUSION_KAFKA_BOOTSTRAP_SERVERS}).
 *
 * @param dataDir    where local mode keeps Postgres, Kafka and, by default, the outputs
 * @param outputRoot every request's output location resolves inside this folder; the ledger keeps run folders
 *                   relative to it. Local mode defaults it to {@code outputs} in the data directory; with external
 *                   services there is no default ({@link OutputRootRequired} refuses to start)
 * @param kafka      broker and topics
 * @param job        partitioning and micro-batching
 * @param energy     how energy is measured or estimated, and the grid's carbon intensity
 * @param quality    how runs are judged by their model's evaluator
 * @param models     the model catalog: request {@code model} names → folders
 * @param limits     what intake refuses beyond the request contract's own limits; null: the defaults
 * @param cluster    the manager and worker roles (remote partitioning); null: the defaults
 * @param datasets   nightly dataset specs; null: the defaults
 */
@ConfigurationProperties("diffusion")
public record DiffusionProperties(Path dataDir, Path outputRoot, Kafka kafka, Job job, Energy energy,
                                  Quality quality, Map<String, Model> models, Limits limits, Cluster cluster,
                                  Datasets datasets) {

    public DiffusionProperties {
        cluster = cluster == null ? new Cluster(null, 0, 0, 0, 0, null) : cluster;
        datasets = datasets == null ? new Datasets(null, true) : datasets;
    }

    /**
     * Nightly dataset synthesis (docs/DATASETS.md).
     *
     * @param dir      the folder of dataset specs ({@code NAME.yaml}) that {@code serve} and the manager schedule and
     *                 {@code dataset run NAME} reads; relative: under the working directory, else under the
     *                 distribution's folder; null = {@code config/datasets}
     * @param schedule whether {@code serve} and the manager run the specs' schedules (default true)
     */
    public record Datasets(Path dir, boolean schedule) {
        public Datasets {
            dir = dir == null ? Path.of("config", "datasets") : dir;
        }

        /** {@link #dir} resolved as the model folders are (working directory, else {@code home}). */
        public Path resolvedDir(String home) {
            return ModelPaths.path(dir, home);
        }
    }

    /**
     * Cluster mode: a {@code manager} sends the partitions of its runs over Kafka to {@code worker}
     * processes (Spring Batch remote partitioning); the ledger's {@code partitions} table is the queue
     * and the lease of each one.
     *
     * @param partitionTopic  the topic of partition requests; its partition count caps the workers that
     *                        receive requests at once (size it to the most workers you expect);
     *                        null = {@code partitions}
     * @param topicPartitions partitions of that topic when the platform creates it; 0 = 12
     * @param slots           partitions one worker runs at once; 0 = 1
     * @param runs            runs one manager drives at once (their partitions share the workers by
     *                        priority); 0 = 8
     * @param maxAttempts     a partition lost by this many workers (their lease ran out) fails its run;
     *                        0 = 3
     * @param pollInterval    how often the manager reads the job repository for its partitions' ends and
     *                        looks for expired partition leases, and how often an idle worker looks
     *                        for queued partitions without a request from Kafka; null = 1 s
     */
    public record Cluster(String partitionTopic, int topicPartitions, int slots, int runs, int maxAttempts,
                          Duration pollInterval) {

        public Cluster {
            partitionTopic = partitionTopic == null || partitionTopic.isBlank() ? "partitions" : partitionTopic;
            topicPartitions = topicPartitions <= 0 ? 12 : topicPartitions;
            slots = slots <= 0 ? 1 : slots;
            runs = runs <= 0 ? 8 : runs;
            maxAttempts = maxAttempts <= 0 ? 3 : maxAttempts;
            pollInterval = pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()
                    ? Duration.ofSeconds(1) : pollInterval;
        }
    }

    /**
     * Where the platform's Kafka clients connect and with which extra client settings.
     * <p>
     * {@code properties} go to every client (producers, consumers, admin clients), e.g.
     * {@code diffusion.kafka.properties.security.protocol=SASL_SSL}; {@code producer},
     * {@code consumer} and {@code admin} hold settings of one kind of client that win over the
     * common ones (the Spring Kafka convention: {@code diffusion.kafka.consumer.properties.*}).
     * A few settings are the platform's own because changing them would break what it promises
     * (serializers, acknowledgements and idempotence of producers, manual commits, offset reset,
     * isolation and group of the intake consumer, the brokers' address): setting one of them here
     * is refused at start, naming the key ({@link #FIXED}). The values may hold secrets
     * ({@code sasl.jaas.config}, passwords): {@link #toString()} shows the keys only. Immutable
     * (the maps are unmodifiable copies, never null); thread-safe.
     *
     * @param bootstrapServers the brokers
     * @param requestsTopic    where requests arrive
     * @param eventsTopic      lifecycle events
     * @param deadLetterTopic  refused requests with their reasons
     * @param groupId          the intake's consumer group
     * @param topics           how the platform creates or checks its three topics at start; null = create
     * @param properties       Kafka client settings for every client; null = none
     * @param producer         settings of producers only; null = none
     * @param consumer         settings of consumers only; null = none
     * @param admin            settings of admin clients only; null = none
     * @throws IllegalArgumentException naming the key when a map sets one of the platform's own settings
     */
    public record Kafka(String bootstrapServers, String requestsTopic, String eventsTopic, String deadLetterTopic,
                        String groupId, Topics topics, Map<String, String> properties, Client producer,
                        Client consumer, Client admin) {

        /**
         * Settings the platform fixes for each kind of client ({@code producer}, {@code consumer},
         * {@code admin}), with the reason; a key listed under any kind may not appear in the
         * common map either.
         */
        public static final Map<String, Map<String, String>> FIXED = Map.of(
                "producer", Map.of(
                        "bootstrap.servers", "set diffusion.kafka.bootstrap-servers instead",
                        "key.serializer", "the platform writes string keys",
                        "value.serializer", "the platform writes raw bytes",
                        "acks", "an event or a dead letter counts as sent only when every in-sync replica has it (all)",
                        "enable.idempotence", "a retried send must not duplicate a record (true)",
                        "transactional.id", "the platform's producers are not transactional"),
                "consumer", Map.of(
                        "bootstrap.servers", "set diffusion.kafka.bootstrap-servers instead",
                        "key.deserializer", "the platform reads string keys",
                        "value.deserializer", "the platform reads raw bytes",
                        "group.id", "set diffusion.kafka.group-id instead",
                        "enable.auto.commit", "intake commits an offset only after the request is in the ledger (false)",
                        "auto.offset.reset", "a new group must read the requests sent before it existed (earliest)",
                        "isolation.level", "records of aborted transactions must never become requests (read_committed)"),
                "admin", Map.of(
                        "bootstrap.servers", "set diffusion.kafka.bootstrap-servers instead"));

        @ConstructorBinding
        public Kafka {
            topics = topics == null ? new Topics(true, null, null) : topics;
            properties = checked("diffusion.kafka.properties", properties, FIXED.keySet());
            producer = new Client(checked("diffusion.kafka.producer.properties",
                    producer == null ? null : producer.properties(), Set.of("producer")));
            consumer = new Client(checked("diffusion.kafka.consumer.properties",
                    consumer == null ? null : consumer.properties(), Set.of("consumer")));
            admin = new Client(checked("diffusion.kafka.admin.properties",
                    admin == null ? null : admin.properties(), Set.of("admin")));
        }

        /** Addresses and topics only, no client settings (tests, tools). */
        public Kafka(String bootstrapServers, String requestsTopic, String eventsTopic, String deadLetterTopic,
                     String groupId, Topics topics) {
            this(bootstrapServers, requestsTopic, eventsTopic, deadLetterTopic, groupId, topics, null, null, null,
                    null);
        }

        /** The same addresses and topics with other client settings (null maps: none). */
        public Kafka withProperties(Map<String, String> common, Map<String, String> producer,
                                    Map<String, String> consumer, Map<String, String> admin) {
            return new Kafka(bootstrapServers, requestsTopic, eventsTopic, deadLetterTopic, groupId, topics, common,
                    new Client(producer), new Client(consumer), new Client(admin));
        }

        private static Map<String, String> checked(String prefix, Map<String, String> settings,
                                                   Set<String> kinds) {
            if (settings == null) {
                return Map.of();
            }
            TreeMap<String, String> copy = new TreeMap<>();
            for (Map.Entry<String, String> e : settings.entrySet()) {
                String key = e.getKey() == null ? "" : e.getKey().strip();
                for (String kind : kinds) {
                    String why = FIXED.get(kind).get(key);
                    if (why != null) {
                        throw new IllegalArgumentException(prefix + "." + key + " may not be set: the platform sets "
                                + key + " of its " + kind + "s itself (" + why + ")");
                    }
                }
                if (e.getValue() != null) {
                    copy.put(key, e.getValue());
                }
            }
            return Collections.unmodifiableMap(copy);
        }

        /** The settings' keys with their values hidden: the values may be secrets. */
        @Override
        public String toString() {
            return "Kafka[bootstrapServers=" + bootstrapServers + ", requestsTopic=" + requestsTopic + ", eventsTopic="
                    + eventsTopic + ", deadLetterTopic=" + deadLetterTopic + ", groupId=" + groupId + ", topics="
                    + topics + ", properties=" + properties.keySet() + ", producer=" + producer + ", consumer="
                    + consumer + ", admin=" + admin + "]";
        }
    }

    /**
     * Kafka client settings of one kind of client, winning over {@code diffusion.kafka.properties}.
     * Immutable (the map is an unmodifiable copy, never null); thread-safe.
     *
     * @param properties Kafka client settings ({@code linger.ms}, {@code sasl.jaas.config}, ...); null = none
     */
    public record Client(Map<String, String> properties) {

        public Client {
            properties = properties == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(properties));
        }

        /** The keys only: the values may be secrets. */
        @Override
        public String toString() {
            return "Client[properties=" + properties.keySet() + "]";
        }
    }

    /**
     * The platform's topics under every profile: created when missing (if {@code create}), else
     * the start fails naming the missing ones.
     *
     * @param create            create missing topics ({@code true}); {@code false}: refuse to start without them
     * @param partitions        partitions of a created topic; null = the broker's {@code num.partitions}
     * @param replicationFactor replication factor of a created topic; null = the broker's
     *                          {@code default.replication.factor}
     * @param configs           topic settings of a created topic, e.g. {@code min.insync.replicas: 2}
     *                          or {@code retention.ms} ({@code diffusion.kafka.topics.configs.*}); null = none,
     *                          the broker's defaults
     */
    public record Topics(boolean create, Integer partitions, Short replicationFactor, Map<String, String> configs) {

        public Topics {
            configs = configs == null ? Map.of() : Map.copyOf(configs);
        }

        /** Topics without settings of their own. */
        public Topics(boolean create, Integer partitions, Short replicationFactor) {
            this(create, partitions, replicationFactor, null);
        }
    }

    /**
     * @param gridSize    partitions per request (capped by its item count)
     * @param concurrency partitions running at once in this process
     * @param batchSize   items per network call
     * @param threads     ONNX Runtime intra-op threads (0 = its default)
     * @param device      {@code cpu} or {@code cuda}
     * @param minPartitionBatches a partition holds at least this many micro-batches (fewer
     *                    partitions than {@code gridSize} for small runs); 0 = no minimum
     * @param databaseWait how long a worker waits for an unreachable database, retrying, before its
     *                    partition stops (the run is then resumed when the database is back); null = 2 min
     * @param lease       how long a run stays this server's without a heartbeat (renewed every third
     *                    of it); another replica resumes a run whose lease has expired; null = 30 s
     */
    public record Job(int gridSize, int concurrency, int batchSize, int threads, String device,
                      int minPartitionBatches, Duration databaseWait, Duration lease) {

        public Job {
            minPartitionBatches = Math.max(0, minPartitionBatches);
            databaseWait = databaseWait == null || databaseWait.isNegative() ? Duration.ofMinutes(2) : databaseWait;
            lease = lease == null || lease.compareTo(Duration.ofSeconds(3)) < 0 ? Duration.ofSeconds(30) : lease;
        }
    }

    /**
     * @param source        {@code auto} (RAPL where readable, else estimate), {@code rapl}, {@code estimate}
     * @param watts         the power assumed for estimates (whole machine share running the work)
     * @param gridGPerKwh   grid carbon intensity in gCO2 per kWh (475: the world average)
     * @param powercap      where Linux exposes RAPL counters
     */
    public record Energy(String source, double watts, double gridGPerKwh, Path powercap) {
    }

    /**
     * @param maxItems at most this many outputs of a run are read by the evaluator (every k-th
     *                 item of larger runs); 0 = no quality step
     */
    public record Quality(int maxItems) {
    }

    /**
     * @param maxBatchMemory most memory one micro-batch ({@code job.batch-size} items) of a request may need by the
     *                       engine's estimate ({@link io.diffusionbatch.engine.ModelGeometry#batchBytes}); intake
     *                       refuses larger requests (rule {@code batch-memory}). Null: half of the JVM's maximum heap
     */
    public record Limits(DataSize maxBatchMemory) {

        /** {@link #maxBatchMemory} in bytes, or half of {@code Runtime.maxMemory()} when unset. */
        public long maxBatchBytes() {
            return maxBatchMemory != null ? maxBatchMemory.toBytes() : Runtime.getRuntime().maxMemory() / 2;
        }
    }

    /**
     * @param path folder of the model (relative paths resolve against the working directory)
     * @param kind {@code image} or {@code video}
     * @param evaluator folder of the evaluator that judges this model's outputs (a shapes-eval
     *                  layout), or null: runs of the model then get no quality figures
     */
    public record Model(Path path, String kind, Path evaluator) {
    }
}
