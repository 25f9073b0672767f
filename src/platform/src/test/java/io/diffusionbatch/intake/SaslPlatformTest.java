package io.diffusionbatch.intake;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole server without local services ({@code diffusion.local.mode=off}) against a PostgreSQL
 * of its own and a Kafka broker that only speaks SASL/PLAIN, configured through
 * {@code diffusion.kafka.properties.*}: a request sent over that listener runs to completion, its
 * {@code completed} event arrives on the events topic, and the password appears nowhere in the log.
 */
class SaslPlatformTest {

    @Test
    void aServerConfiguredForSaslRunsARequestEndToEnd(@TempDir Path dir) throws Exception {
        String jaas = SaslKafka.clientSettings(SaslKafka.USER, SaslKafka.PASSWORD).get("sasl.jaas.config");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream console = System.out;
        try (SaslKafka broker = SaslKafka.start(dir.resolve("kafka"));
             LocalPostgres postgres = LocalPostgres.start(dir.resolve("postgres"), 0)) {
            System.setOut(new PrintStream(new Tee(console, log), true, StandardCharsets.UTF_8));
            ConfigurableApplicationContext ctx;
            try {
                ctx = DiffusionBatchApplication.start("server",
                        "--diffusion.local.mode=off",
                        "--diffusion.data-dir=" + dir.resolve("data"),
                        "--diffusion.output-root=" + dir.resolve("outputs"),
                        "--spring.datasource.url=" + postgres.jdbcUrl(),
                        "--spring.datasource.username=postgres",
                        "--spring.datasource.password=postgres",
                        "--diffusion.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                        "--diffusion.kafka.properties.security.protocol=SASL_PLAINTEXT",
                        "--diffusion.kafka.properties.sasl.mechanism=PLAIN",
                        "--diffusion.kafka.properties.sasl.jaas.config=" + jaas,
                        "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                        "--diffusion.models.tiny.kind=image",
                        "--diffusion.web.port=0",
                        "--diffusion.energy.source=estimate");
            } finally {
                System.setOut(console);
            }
            try (ctx) {
                DiffusionProperties.Kafka kafka = ctx.getBean(DiffusionProperties.class).kafka();
                assertThat(kafka.properties()).containsEntry("security.protocol", "SASL_PLAINTEXT");
                String id = "sasl-" + UUID.randomUUID();
                String request = """
                        {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a red circle"],
                         "seeds": [1, 2], "params": {"sampler": "euler", "steps": 2},
                         "output": {"location": "%s", "format": "png"}}
                        """.formatted(id, id);
                try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(kafka, "test")) {
                    producer.send(new ProducerRecord<>(kafka.requestsTopic(), id,
                            request.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                }
                RequestStore store = ctx.getBean(RequestStore.class);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                Optional<RequestRow> row = store.findByClientId(id);
                while ((row.isEmpty() || !row.get().isFinished()) && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    row = store.findByClientId(id);
                }
                assertThat(row).as("the run in the ledger").isPresent();
                assertThat(row.get().status()).as(String.valueOf(row.get().message())).isEqualTo(RunStatus.COMPLETED);

                List<String> types = new ArrayList<>();
                try (KafkaConsumer<String, byte[]> events = KafkaClients.consumer(kafka, "test-" + UUID.randomUUID(), "test")) {
                    events.subscribe(List.of(kafka.eventsTopic()));
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (!types.contains("completed") && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(500))) {
                            if (id.equals(r.key())) {
                                String json = new String(r.value(), StandardCharsets.UTF_8);
                                types.add(json.replaceAll("(?s).*\"type\"\\s*:\\s*\"([a-z]+)\".*", "$1"));
                            }
                        }
                    }
                }
                assertThat(types).as("events of the run over the SASL listener").contains("accepted", "completed");
            }
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).as("the start's log").isNotEmpty()
                .doesNotContain(SaslKafka.PASSWORD);
    }

    /** Writes to both streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
