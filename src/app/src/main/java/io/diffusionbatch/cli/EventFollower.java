package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
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
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;

/**
 * Follows the events of one request on the events topic, drawing a progress bar, until the
 * request is refused or its run ends. Open it before sending the request (it starts at the
 * topic's end). Not thread-safe.
 */
final class EventFollower implements AutoCloseable {

    /**
     * The last event seen: its type and the whole JSON.
     *
     * @param type  the event that ended the wait, or null when none came in time
     * @param event its JSON, or the last event of the request seen before the timeout (or null)
     */
    record Outcome(EventType type, JsonNode event) {

        boolean timedOut() {
            return type == null;
        }
    }

    private static final JsonMapper JSON = Json.MAPPER;
    private static final Set<EventType> FINAL = EnumSet.of(EventType.COMPLETED, EventType.FAILED, EventType.CANCELLED,
            EventType.REJECTED, EventType.DUPLICATE);

    private final KafkaConsumer<String, byte[]> consumer;

    EventFollower(DiffusionProperties.Kafka kafka) {
        consumer = KafkaClients.consumer(kafka, "cli-" + UUID.randomUUID(), "cli-follow");
        List<PartitionInfo> parts = consumer.partitionsFor(kafka.eventsTopic(), Duration.ofSeconds(30));
        List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
    }

    /**
     * @param requestId   the client request id to follow
     * @param untilAccept stop at accepted/duplicate instead of waiting for the run to end
     * @param timeout     give up after this long (returns an outcome that {@linkplain Outcome#timedOut() timed out})
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
                EventType type;
                try {
                    type = EventType.of(ev.path("type").asString(""));
                } catch (IllegalArgumentException e) {
                    continue; // a type this client does not know: not one that ends a wait
                }
                last = ev;
                switch (type) {
                    case ACCEPTED -> err.println("accepted as run " + ev.path("runId").asLong() + ": "
                            + ev.path("items").asLong() + " items");
                    case DUPLICATE -> err.println("duplicate: " + ev.path("reason").asString());
                    case STARTED -> err.println("started: " + ev.path("items").asLong() + " items");
                    case PROGRESS -> bar.progress(ev.path("finished").asLong(), ev.path("total").asLong());
                    default -> {
                    }
                }
                if (type == EventType.COMPLETED || type == EventType.CANCELLED) {
                    long n = ev.path("done").asLong() + ev.path("failed").asLong() + ev.path("cancelled").asLong();
                    bar.progress(n, n); // the last progress event may have been thinned out
                }
                if (FINAL.contains(type) || (untilAccept && (type == EventType.ACCEPTED || type == EventType.DUPLICATE))) {
                    bar.end();
                    return new Outcome(type, ev);
                }
            }
        }
        bar.end();
        return new Outcome(null, last);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
