package io.diffusionbatch.cli;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Follows the events of one request on the events topic, drawing a progress bar, until the
 * request is refused or its run ends. Open it before sending the request (it starts at the
 * topic's end). Not thread-safe.
 */
final class EventFollower implements AutoCloseable {

    /** The last event seen: its type and the whole JSON. */
    record Outcome(String type, JsonNode event) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> FINAL = Set.of("completed", "failed", "cancelled", "rejected", "duplicate");

    private final KafkaConsumer<String, byte[]> consumer;

    EventFollower(DiffusionProperties.Kafka kafka) {
        consumer = KafkaClients.consumer(kafka, "cli-" + UUID.randomUUID());
        List<PartitionInfo> parts = consumer.partitionsFor(kafka.eventsTopic(), Duration.ofSeconds(30));
        List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
    }

    /**
     * @param requestId   the client request id to follow
     * @param untilAccept stop at accepted/duplicate instead of waiting for the run to end
     * @param timeout     give up after this long (returns type {@code timeout})
     */
    Outcome follow(String requestId, boolean untilAccept, Duration timeout, PrintStream err) {
        ProgressBar bar = new ProgressBar(err, "items");
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                if (!requestId.equals(rec.key())) {
                    continue;
                }
                JsonNode ev = JSON.readTree(rec.value());
                String type = ev.path("type").asString("");
                last = ev;
                switch (type) {
                    case "accepted" -> err.println("accepted as run " + ev.path("runId").asLong() + ": "
                            + ev.path("items").asLong() + " items");
                    case "duplicate" -> err.println("duplicate: " + ev.path("reason").asString());
                    case "started" -> err.println("started: " + ev.path("items").asLong() + " items");
                    case "progress" -> bar.progress(ev.path("finished").asLong(), ev.path("total").asLong());
                    default -> {
                    }
                }
                if (type.equals("completed") || type.equals("cancelled")) {
                    long n = ev.path("done").asLong() + ev.path("failed").asLong() + ev.path("cancelled").asLong();
                    bar.progress(n, n); // the last progress event may have been thinned out
                }
                if (FINAL.contains(type) || (untilAccept && (type.equals("accepted") || type.equals("duplicate")))) {
                    bar.end();
                    return new Outcome(type, ev);
                }
            }
        }
        bar.end();
        return new Outcome("timeout", last);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
