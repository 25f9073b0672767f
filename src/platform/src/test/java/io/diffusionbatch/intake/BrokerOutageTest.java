package io.diffusionbatch.intake;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.GenerationJobTest;
import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.local.LocalServices;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker goes away in the middle of a run for longer than the producer's delivery timeout
 * (shortened here to 3 s, so the test need not wait the default 2 minutes): generation goes on and
 * the run completes while the broker is away, its events wait in the ledger's outbox, and once the
 * broker is back every lifecycle event arrives on the events topic, with the id it has in the
 * ledger, none lost. An event written in a transaction that rolls back is never published. A
 * server of its own (local mode in a data directory of its own), so the shared test broker is
 * never stopped.
 */
class BrokerOutageTest {

    private static ConfigurableApplicationContext ctx;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("diffusion-broker-outage-");
        ctx = TestServer.ownServer(dir,
                "--diffusion.job.grid-size=2",
                "--diffusion.web.port=-1",
                "--diffusion.kafka.producer.properties.delivery.timeout.ms=3000",
                "--diffusion.kafka.producer.properties.request.timeout.ms=1000",
                "--diffusion.kafka.producer.properties.max.block.ms=2000");
    }

    @AfterAll
    static void stop() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void aRunCompletesWhileTheBrokerIsAwayAndEveryEventArrivesAfterwards() throws Exception {
        LocalServices.Running services = ctx.getBean("localServices", LocalServices.Running.class);
        DiffusionProperties.Kafka kafka = ctx.getBean(DiffusionProperties.class).kafka();
        RequestStore requests = ctx.getBean(RequestStore.class);
        EventOutbox outbox = ctx.getBean(EventOutbox.class);
        JdbcClient jdbc = ctx.getBean(JdbcClient.class);
        String id = "broker-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(kafka, "test")) {
            producer.send(new ProducerRecord<>(kafka.requestsTopic(), id, GenerationJobTest.request(id, "tiny", 8, 3,
                    250, 0, "broker/" + id).getBytes(StandardCharsets.UTF_8))).get();
        }
        await(() -> requests.findByClientId(id).filter(r -> done(jdbc, r.id()) >= 2).isPresent(),
                Duration.ofSeconds(120), "2 items done before the outage");
        RequestRow run = requests.findByClientId(id).orElseThrow();

        long atStop = done(jdbc, run.id());
        services.stopKafka();
        long stoppedAt = System.nanoTime();
        try {
            await(() -> requests.find(run.id()).orElseThrow().isFinished(), Duration.ofSeconds(180),
                    "the run ends while the broker is away");
            assertThat(requests.find(run.id()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done(jdbc, run.id())).as("items made while the broker was away").isEqualTo(24)
                    .isGreaterThan(atStop);
            // past the producer's delivery timeout: a plain producer would have dropped the events by now
            long waited = Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();
            if (waited < 8_000) {
                Thread.sleep(8_000 - waited);
            }
            assertThat(outbox.backlog().records()).as("events waiting in the ledger").isPositive();
        } finally {
            services.startKafka();
        }

        // an event of a change that rolls back is never written, so never published
        new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class)).executeWithoutResult(tx -> {
            ctx.getBean(OutboxRunEvents.class).publish(run.id(), EventType.RESUMED,
                    Map.of("rolledBack", true));
            tx.setRollbackOnly();
        });

        await(() -> outbox.backlog().records() == 0, Duration.ofSeconds(120), "the outbox drained after the broker came back");
        Map<Long, JsonNode> onTopic = new HashMap<>();
        List<String> types = new ArrayList<>();
        List<JsonNode> all = events(kafka, id);
        for (JsonNode ev : all) {
            long eventId = ev.path("eventId").asLong();
            assertThat(eventId).as("event id of " + ev).isPositive();
            if (onTopic.putIfAbsent(eventId, ev) == null) {
                types.add(ev.path("type").asString());
            }
        }
        assertThat(types).as("the run's events in order: " + all).startsWith("accepted", "started").endsWith("completed")
                .doesNotContain("resumed");
        assertThat(types.stream().filter(t -> t.equals("completed")).count()).as("one terminal event").isOne();
        Set<Long> stored = new HashSet<>();
        for (EventStore.Event e : ctx.getBean(EventStore.class).of(run.id())) {
            stored.add(e.eventId());
            assertThat(onTopic).as("the topic has stored event " + e.type()).containsKey(e.eventId());
            assertThat(onTopic.get(e.eventId()).path("type").asString()).isEqualTo(e.type());
        }
        assertThat(stored).hasSize(3); // accepted, started, completed
        assertThat(onTopic.get(stored.stream().max(Long::compare).orElseThrow()).path("done").asLong()).isEqualTo(24);
    }

    /**
     * A record the broker can never take (larger than the producer's 16 MiB {@code max.request.size},
     * as a dead letter of a huge refused request would be) is set aside with the reason, and the
     * records after it are published: one bad record does not stop every later event.
     */
    @Test
    void aRecordKafkaRefusesIsSetAsideAndTheNextOnesGoOut() throws Exception {
        EventOutbox outbox = ctx.getBean(EventOutbox.class);
        DiffusionProperties.Kafka kafka = ctx.getBean(DiffusionProperties.class).kafka();
        String key = "poison-" + UUID.randomUUID().toString().substring(0, 8);
        long poison = outbox.nextId();
        outbox.add(poison, kafka.eventsTopic(), key, new byte[17 << 20], Map.of(), null);
        long next = outbox.nextId();
        outbox.add(next, kafka.eventsTopic(), key, "{\"type\":\"after\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(OutboxRunEvents.EVENT_ID_HEADER, Long.toString(next)), null);
        await(() -> outbox.backlog().records() == 0, Duration.ofSeconds(60), "the record after the refused one is sent");
        JdbcClient jdbc = ctx.getBean(JdbcClient.class);
        assertThat(jdbc.sql("SELECT refused FROM event_outbox WHERE id = ?").param(poison).query(String.class).single())
                .contains("RecordTooLargeException");
        assertThat(outbox.backlog().refused()).isEqualTo(1);
        jdbc.sql("DELETE FROM event_outbox WHERE id = ?").param(poison).update();
    }

    /** The events of {@code key} on the events topic, from the beginning, until the terminal one. */
    private static List<JsonNode> events(DiffusionProperties.Kafka kafka, String key) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(kafka, "test-" + UUID.randomUUID(), "test")) {
            List<TopicPartition> tps = c.partitionsFor(kafka.eventsTopic(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && out.stream().noneMatch(e -> e.path("type").asString().equals("completed"))) {
                for (ConsumerRecord<String, byte[]> rec : c.poll(Duration.ofMillis(500))) {
                    if (key.equals(rec.key())) {
                        JsonNode ev = Json.MAPPER.readTree(rec.value());
                        assertThat(new String(rec.headers().lastHeader(OutboxRunEvents.EVENT_ID_HEADER).value(),
                                StandardCharsets.UTF_8)).isEqualTo(ev.path("eventId").asString());
                        out.add(ev);
                    }
                }
            }
            // anything published after the terminal event (it must not be the rolled-back one)
            for (ConsumerRecord<String, byte[]> rec : c.poll(Duration.ofSeconds(2))) {
                if (key.equals(rec.key())) {
                    out.add(Json.MAPPER.readTree(rec.value()));
                }
            }
        }
        return out;
    }

    private static long done(JdbcClient jdbc, long run) {
        return jdbc.sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'").param(run)
                .query(Long.class).single();
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
