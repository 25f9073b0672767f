package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The platform's Kafka clients against a broker that only speaks SASL/PLAIN: with the security
 * settings in {@code diffusion.kafka.properties} topics are made and a record goes through; a
 * wrong password fails fast saying authentication failed; without the settings nothing gets through.
 */
class KafkaSecurityTest {

    @TempDir
    static Path dir;
    private static SaslKafka broker;

    @BeforeAll
    static void start() {
        broker = SaslKafka.start(dir);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static DiffusionProperties.Kafka kafka(String prefix, Map<String, String> common) {
        return new DiffusionProperties.Kafka(broker.bootstrapServers(), prefix + ".requests", prefix + ".events",
                prefix + ".requests.dlt", prefix + "-group", new DiffusionProperties.Topics(true, 2, (short) 1))
                .withProperties(common, null, null, null);
    }

    @Test
    void withTheSecuritySettingsEveryKindOfClientWorks() throws Exception {
        String prefix = "sasl-" + UUID.randomUUID();
        DiffusionProperties.Kafka k = kafka(prefix, SaslKafka.clientSettings(SaslKafka.USER, SaslKafka.PASSWORD));
        TopicAdmin.ensureTopics(k);
        try (Admin admin = KafkaClients.admin(k, 10_000, "test")) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).containsAll(TopicAdmin.topicNames(k));
        }
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(k, "test")) {
            producer.send(new ProducerRecord<>(k.requestsTopic(), "key-1", "hello".getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
        List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaClients.consumer(k, k.groupId(), "intake")) {
            consumer.subscribe(List.of(k.requestsTopic()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(got::add);
            }
            assertThat(got).hasSize(1);
            assertThat(got.get(0).key()).isEqualTo("key-1");
            assertThat(new String(got.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("hello");
            try (Admin admin = KafkaClients.admin(k, 10_000, "test")) {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(k.groupId()))
                        .describedGroups().get(k.groupId()).get(10, TimeUnit.SECONDS);
                assertThat(group.members()).extracting(MemberDescription::clientId)
                        .singleElement().asString().as("the broker sees the consumer's own client id")
                        .startsWith("diffusion-intake-");
            }
        }
    }

    @Test
    void aWrongPasswordFailsFastSayingAuthenticationFailed() {
        String prefix = "wrong-" + UUID.randomUUID();
        DiffusionProperties.Kafka k = kafka(prefix, SaslKafka.clientSettings(SaslKafka.USER, "not-the-password"));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(k)).isInstanceOf(DependencyFailure.class)
                    .hasMessageContaining(broker.bootstrapServers()).hasMessageContaining("Authentication failed")
                    .hasMessageNotContaining("not-the-password");
            try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(k, "test")) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(k.requestsTopic(), "k", new byte[1]))
                        .get(20, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(SaslAuthenticationException.class);
            }
            try (KafkaConsumer<String, byte[]> consumer = KafkaClients.consumer(k, k.groupId(), "test")) {
                consumer.subscribe(List.of(k.requestsTopic()));
                assertThatThrownBy(() -> {
                    for (int i = 0; i < 40; i++) {
                        consumer.poll(Duration.ofMillis(500));
                    }
                }).isInstanceOf(SaslAuthenticationException.class).hasMessageContaining("Authentication failed");
            }
        });
    }

    @Test
    void withoutSecuritySettingsTheSaslListenerCannotBeReached() {
        String prefix = "plain-" + UUID.randomUUID();
        DiffusionProperties.Kafka k = kafka(prefix, null);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Admin admin = KafkaClients.admin(k, 3000, "test")) {
                assertThatThrownBy(() -> admin.listTopics().names().get(15, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            }
        });
    }
}
