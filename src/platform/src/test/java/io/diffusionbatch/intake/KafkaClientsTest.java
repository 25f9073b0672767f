package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DiffusionProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which settings each kind of Kafka client gets: the common map, the kind's map winning over it,
 * the platform's own settings that cannot be changed, and a client id of its own.
 */
class KafkaClientsTest {

    private static final DiffusionProperties.Kafka PLAIN = new DiffusionProperties.Kafka("broker:9092", "requests",
            "events", "requests.dlt", "diffusion-intake", null);

    private static DiffusionProperties.Kafka bind(Map<String, Object> settings, Map<String, Object> environment) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", settings));
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
        return Binder.get(env).bind("diffusion.kafka", DiffusionProperties.Kafka.class).get();
    }

    @Test
    void settingsBindFromConfigurationAndEnvironmentAndKindsWinOverTheCommonMap() {
        Map<String, Object> conf = new HashMap<>();
        conf.put("diffusion.kafka.bootstrap-servers", "broker:9093");
        conf.put("diffusion.kafka.group-id", "g");
        conf.put("diffusion.kafka.properties.security.protocol", "SASL_SSL");
        conf.put("diffusion.kafka.properties.linger.ms", "20");
        conf.put("diffusion.kafka.properties[ssl.truststore.location]", "/etc/kafka/truststore.p12");
        conf.put("diffusion.kafka.producer.properties.linger.ms", "50");
        conf.put("diffusion.kafka.consumer.properties.max.poll.records", "7");
        conf.put("diffusion.kafka.admin.properties.client.id", "ops-admin");
        DiffusionProperties.Kafka k = bind(conf, Map.of("DIFFUSION_KAFKA_PROPERTIES_SASL_MECHANISM", "PLAIN"));

        assertThat(k.properties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12");
        Map<String, Object> producer = KafkaClients.producerConfig(k, "events", Map.of("linger.ms", 1));
        assertThat(producer).as("configured settings win over a caller's defaults").containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("linger.ms", "50").containsEntry("bootstrap.servers", "broker:9093");
        Map<String, Object> consumer = KafkaClients.consumerConfig(k, "g", "intake");
        assertThat(consumer).containsEntry("security.protocol", "SASL_SSL").containsEntry("linger.ms", "20")
                .containsEntry("max.poll.records", "7").containsEntry("group.id", "g");
        Map<String, Object> admin = KafkaClients.adminConfig(k, 3000, "health");
        assertThat(admin).containsEntry("security.protocol", "SASL_SSL").containsEntry("client.id", "ops-admin")
                .containsEntry("request.timeout.ms", 3000).doesNotContainKey("max.poll.records");
    }

    @Test
    void thePlatformsOwnSettingsHoldWithoutConfiguration() {
        Map<String, Object> producer = KafkaClients.producerConfig(PLAIN, "events", Map.of());
        assertThat(producer).containsEntry("acks", "all").containsEntry("enable.idempotence", true)
                .containsEntry("linger.ms", 5).containsEntry("bootstrap.servers", "broker:9092")
                .doesNotContainKey("security.protocol");
        assertThat(KafkaClients.producerConfig(PLAIN, "events", Map.of("max.block.ms", 10_000, "acks", "1")))
                .as("a caller's default applies, but not over the platform's own settings")
                .containsEntry("max.block.ms", 10_000).containsEntry("acks", "all");
        Map<String, Object> consumer = KafkaClients.consumerConfig(PLAIN, "diffusion-intake", "intake");
        assertThat(consumer).containsEntry("enable.auto.commit", false).containsEntry("auto.offset.reset", "earliest")
                .containsEntry("isolation.level", "read_committed").containsEntry("max.poll.records", 50);
    }

    @Test
    void settingThePlatformsOwnKeysIsRefusedNamingTheKey() {
        Map<String, String> refused = Map.of(
                "diffusion.kafka.consumer.properties.enable.auto.commit", "true",
                "diffusion.kafka.properties.group.id", "other",
                "diffusion.kafka.properties.key.serializer", "x",
                "diffusion.kafka.producer.properties.acks", "1",
                "diffusion.kafka.consumer.properties.isolation.level", "read_uncommitted",
                "diffusion.kafka.admin.properties.bootstrap.servers", "elsewhere:9092");
        refused.forEach((key, value) -> {
            Map<String, Object> conf = new HashMap<>(Map.of("diffusion.kafka.bootstrap-servers", "broker:9092",
                    key, value));
            assertThatThrownBy(() -> bind(conf, Map.of())).as(key).isInstanceOf(BindException.class)
                    .rootCause().isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(key + " may not be set")
                    .hasMessageNotContaining(value.length() > 1 ? value : "\u0000");
        });
        // the kind's own maps may tune what is not the platform's: a consumer's acks is no concern of it
        assertThat(bind(Map.of("diffusion.kafka.consumer.properties.fetch.min.bytes", "1024"), Map.of())
                .consumer().properties()).containsEntry("fetch.min.bytes", "1024");
    }

    @Test
    void everyClientHasAClientIdOfItsOwnUnlessOneIsConfigured() {
        String role = "intake-" + Long.toHexString(System.nanoTime()); // a role no other test made a client of
        String intake = (String) KafkaClients.consumerConfig(PLAIN, "g", role).get("client.id");
        String again = (String) KafkaClients.consumerConfig(PLAIN, "g", role).get("client.id");
        String events = (String) KafkaClients.producerConfig(PLAIN, "events", Map.of()).get("client.id");
        String pid = Long.toString(ProcessHandle.current().pid());
        assertThat(intake).startsWith("diffusion-" + role + "-").endsWith("-" + pid);
        assertThat(events).startsWith("diffusion-events-").contains("-" + pid);
        assertThat(again).as("a role's second client in one process").isEqualTo(intake + "-2");
        DiffusionProperties.Kafka named = PLAIN.withProperties(Map.of("client.id", "team-a"), null, null, null);
        assertThat(KafkaClients.producerConfig(named, "events", Map.of())).containsEntry("client.id", "team-a");
        assertThatThrownBy(() -> KafkaClients.producerConfig(PLAIN, "two words", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsNeverShowInTheSettingsText() {
        DiffusionProperties.Kafka k = PLAIN.withProperties(SaslKafka.clientSettings("u", "hunter2"),
                Map.of("ssl.key.password", "hunter3"), null, null);
        assertThat(k.toString()).contains("sasl.jaas.config").contains("ssl.key.password")
                .doesNotContain("hunter2").doesNotContain("hunter3").doesNotContain("PlainLoginModule");
    }
}
