package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code doctor} asks the brokers, each question bounded by {@link KafkaProbe#TIMEOUT_MS}:
 * how a topic is laid out, and how far the intake's consumer group is behind on the requests topic.
 * One admin client, closed with this object; thread-safe (Kafka's admin client is).
 */
public final class KafkaStatus implements AutoCloseable {

    private final DiffusionProperties.Kafka kafka;
    private final Admin admin;

    /** @param kafka the platform's Kafka settings (security included); never null */
    public KafkaStatus(DiffusionProperties.Kafka kafka) {
        this.kafka = kafka;
        this.admin = KafkaClients.admin(kafka, KafkaProbe.TIMEOUT_MS, "doctor");
    }

    /**
     * The topic's partitions and replication: {@code 3 partitions, replication 1}.
     *
     * @throws IllegalStateException with the broker's reason, e.g. when the topic does not exist
     */
    public String topic(String name) {
        TopicDescription d = get(() -> admin.describeTopics(List.of(name)).topicNameValues().get(name).get(
                KafkaProbe.TIMEOUT_MS, TimeUnit.MILLISECONDS));
        int replication = d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size();
        return d.partitions().size() + (d.partitions().size() == 1 ? " partition" : " partitions") + ", replication "
                + replication;
    }

    /**
     * The records of the requests topic that the intake's group has not committed yet (from the
     * beginning of a partition the group has no offset for).
     */
    public long intakeLag() {
        return get(() -> {
            String topic = kafka.requestsTopic();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(kafka.groupId())
                    .partitionsToOffsetAndMetadata().get(KafkaProbe.TIMEOUT_MS, TimeUnit.MILLISECONDS);
            TopicDescription d = admin.describeTopics(List.of(topic)).topicNameValues().get(topic)
                    .get(KafkaProbe.TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            d.partitions().forEach(p -> {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
            });
            var ends = admin.listOffsets(latest).all().get(KafkaProbe.TIMEOUT_MS, TimeUnit.MILLISECONDS);
            var starts = admin.listOffsets(earliest).all().get(KafkaProbe.TIMEOUT_MS, TimeUnit.MILLISECONDS);
            long lag = 0;
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long from = c != null ? c.offset() : starts.get(e.getKey()).offset();
                lag += Math.max(0, e.getValue().offset() - from);
            }
            return lag;
        });
    }

    @Override
    public void close() {
        admin.close();
    }

    private interface Call<T> {
        T call() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private static <T> T get(Call<T> call) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(DependencyFailure.rootMessage(cause), e);
        }
    }
}
