package io.diffusionbatch.platform;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Settings under {@code diffusion.*} (defaults in the jar's application.yaml, overridden by
 * {@code config/application.yaml}, profiles and environment variables such as
 * {@code DIFFUSION_KAFKA_BOOTSTRAP_SERVERS}).
 *
 * @param dataDir    where local mode keeps Postgres, Kafka and, by default, the outputs
 * @param outputRoot every request's output location resolves inside this folder
 * @param kafka      broker and topics
 * @param job        partitioning and micro-batching
 * @param energy     how energy is measured or estimated, and the grid's carbon intensity
 * @param quality    how runs are judged by their model's evaluator
 * @param models     the model catalog: request {@code model} names → folders
 * @param limits     what intake refuses beyond the request contract's own limits; null: the defaults
 */
@ConfigurationProperties("diffusion")
public record DiffusionProperties(Path dataDir, Path outputRoot, Kafka kafka, Job job, Energy energy,
                                  Quality quality, Map<String, Model> models, Limits limits) {

    /**
     * @param bootstrapServers the brokers
     * @param requestsTopic    where requests arrive
     * @param eventsTopic      lifecycle events
     * @param deadLetterTopic  refused requests with their reasons
     * @param groupId          the intake's consumer group
     * @param topics           how the platform creates or checks its three topics at start
     */
    public record Kafka(String bootstrapServers, String requestsTopic, String eventsTopic, String deadLetterTopic,
                        String groupId, Topics topics) {

        public Kafka {
            topics = topics == null ? new Topics(true, null, null) : topics;
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
     */
    public record Topics(boolean create, Integer partitions, Short replicationFactor) {
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
