package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.TestServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The platform makes its topics as configured, or refuses to start without them when it may not. */
class TopicAdminTest {

    private final DiffusionProperties.Kafka base = TestServer.get().props().kafka();

    private DiffusionProperties.Kafka with(String prefix, DiffusionProperties.Topics topics) {
        return new DiffusionProperties.Kafka(base.bootstrapServers(), prefix + ".requests", prefix + ".events",
                prefix + ".requests.dlt", base.groupId(), topics);
    }

    @Test
    void missingTopicsAreCreatedWithTheConfiguredPartitions() throws Exception {
        String prefix = TestServer.uniqueId("topics");
        // a cluster that requires min.insync.replicas: the setting goes with the topics (1 here: one broker)
        DiffusionProperties.Kafka k = with(prefix, new DiffusionProperties.Topics(true, 3, (short) 1,
                Map.of("min.insync.replicas", "1", "retention.ms", "86400000")));
        TopicAdmin.ensureTopics(k);
        TopicAdmin.ensureTopics(k); // a second start finds them and changes nothing
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers()))) {
            Map<String, TopicDescription> d = admin.describeTopics(TopicAdmin.topicNames(k)).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            assertThat(d).hasSize(3);
            d.values().forEach(t -> assertThat(t.partitions()).as(t.name()).hasSize(3));
            ConfigResource requests = new ConfigResource(ConfigResource.Type.TOPIC, prefix + ".requests");
            Config c = admin.describeConfigs(List.of(requests)).all().get(30, TimeUnit.SECONDS).get(requests);
            assertThat(c.get("retention.ms").value()).isEqualTo("86400000");
            assertThat(c.get("retention.ms").source()).as("set on the topic, not the broker's default")
                    .isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThat(c.get("min.insync.replicas").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
    }

    @Test
    void withoutCreationMissingTopicsStopTheStartNamingThem() {
        String prefix = TestServer.uniqueId("absent");
        DiffusionProperties.Kafka k = with(prefix, new DiffusionProperties.Topics(false, null, null));
        assertThatThrownBy(() -> TopicAdmin.ensureTopics(k))
                .isInstanceOf(DependencyFailure.class)
                .hasMessageContaining(prefix + ".requests").hasMessageContaining(prefix + ".events")
                .hasMessageContaining("diffusion.kafka.topics.create is false");
        assertThat(TopicAdmin.topicNames(k)).isEqualTo(List.of(prefix + ".requests", prefix + ".events",
                prefix + ".requests.dlt"));
    }
}
