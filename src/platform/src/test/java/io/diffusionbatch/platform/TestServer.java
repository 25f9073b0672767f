package io.diffusionbatch.platform;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.output.OutputRoot;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * One server of the platform for the whole test JVM: a real PostgreSQL and a real Kafka broker
 * started by local mode in a fresh data directory, with intake, dispatcher and workers running,
 * and the tiny test models in the catalog ({@code tiny}: tiny-sd, {@code tiny-video}) plus {@code shapes}
 * (the bundled shapes-ldm, judged by shapes-eval), {@code shapes-lcm} and {@code shapes-video}, energy
 * estimated from the default 30 W. Started on
 * first use, stopped by a shutdown hook. Thread-safe.
 */
public final class TestServer {

    private static TestServer instance;

    private final ConfigurableApplicationContext context;
    private final Path dataDir;
    private final KafkaProducer<String, byte[]> producer;

    private TestServer(ConfigurableApplicationContext context, Path dataDir) {
        this.context = context;
        this.dataDir = dataDir;
        this.producer = KafkaClients.producer(props().kafka(), "test");
    }

    /**
     * A server of a test's own, in local mode with its own embedded PostgreSQL and Kafka under
     * {@code dataDir} (for tests that stop them), the {@code tiny} model, small partitions and the
     * estimated energy; {@code settings} ({@code --name=value}) add to or override those. The caller
     * closes it.
     */
    public static ConfigurableApplicationContext ownServer(Path dataDir, String... settings) {
        List<String> args = new ArrayList<>(List.of(
                "--diffusion.data-dir=" + dataDir,
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                "--diffusion.models.tiny.kind=image",
                "--diffusion.job.min-partition-batches=0",
                "--diffusion.job.batch-size=2",
                "--diffusion.energy.source=estimate"));
        args.addAll(List.of(settings));
        return DiffusionBatchApplication.start("server", args.toArray(String[]::new));
    }

    public static synchronized TestServer get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("diffusion-test-");
                ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server",
                        "--diffusion.data-dir=" + dir,
                        "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                        "--diffusion.models.tiny.kind=image",
                        "--diffusion.models.tiny-video.path=src/engine/src/test/resources/models/tiny-video",
                        "--diffusion.models.tiny-video.kind=video",
                        "--diffusion.models.shapes.path=models/shapes-ldm",
                        "--diffusion.models.shapes.kind=image",
                        "--diffusion.models.shapes.evaluator=models/shapes-eval",
                        "--diffusion.models.shapes-lcm.path=models/shapes-lcm",
                        "--diffusion.models.shapes-lcm.kind=image",
                        "--diffusion.models.shapes-lcm.evaluator=models/shapes-eval",
                        "--diffusion.models.shapes-video.path=models/shapes-video",
                        "--diffusion.models.shapes-video.kind=video",
                        "--diffusion.models.shapes-video.evaluator=models/shapes-eval",
                        "--diffusion.job.grid-size=3",
                        "--diffusion.job.min-partition-batches=0", // the tests run small requests in several partitions
                        "--diffusion.job.batch-size=4",
                        "--diffusion.web.port=0", // the dashboard on a free port
                        "--diffusion.energy.source=estimate"); // the same figure on machines with and without RAPL
                instance = new TestServer(ctx, dir);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    instance.producer.close();
                    ctx.close();
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public DiffusionProperties props() {
        return bean(DiffusionProperties.class);
    }

    public JdbcClient jdbc() {
        return bean(JdbcClient.class);
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path outputRoot() {
        return props().outputRoot();
    }

    /** The run's folder on this server (the ledger keeps it relative to the output root). */
    public Path runDir(RequestRow run) {
        return bean(OutputRoot.class).folder(run.id(), run.outputDir());
    }

    /** Sends raw bytes to the requests topic (waits for the broker's acknowledgement). */
    public void send(String key, byte[] payload) {
        try {
            producer.send(new ProducerRecord<>(props().kafka().requestsTopic(), key, payload)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A unique request id for a test. */
    public static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Waits until the run of {@code clientRequestId} exists and satisfies {@code until}. */
    public RequestRow awaitRun(String clientRequestId, Predicate<RequestRow> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RequestStore store = bean(RequestStore.class);
        Optional<RequestRow> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = store.findByClientId(clientRequestId);
            if (last.isPresent() && until.test(last.get())) {
                return last.get();
            }
            sleep(100);
        }
        throw new AssertionError("run of " + clientRequestId + " not as expected within " + timeout + "; last: " + last);
    }

    public RequestRow awaitFinished(String clientRequestId, Duration timeout) {
        return awaitRun(clientRequestId, RequestRow::isFinished, timeout);
    }

    /** All records of a topic from the beginning whose key is one of {@code keys}, waiting until each key has one. */
    public List<ConsumerRecord<String, byte[]>> records(String topic, Set<String> keys, Duration timeout) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(props().kafka(), "test-" + UUID.randomUUID(), "test")) {
            List<TopicPartition> tps = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (keys.contains(r.key())) {
                        out.add(r);
                    }
                }
                if (out.stream().map(ConsumerRecord::key).distinct().count() >= keys.size()) {
                    return out;
                }
            }
        }
        throw new AssertionError("topic " + topic + ": expected records for " + keys + ", got " + out.size());
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
