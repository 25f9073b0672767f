package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
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

    /** How often the ledger is read too, for events the topic has not delivered yet. */
    static final Duration LEDGER_EVERY = Duration.ofSeconds(2);

    private final KafkaConsumer<String, byte[]> consumer;
    private final LedgerEvents ledger;
    private final Set<Long> seenEvents = new HashSet<>();
    private final Set<Long> seenRejections = new HashSet<>();

    /**
     * @param ledger where to read the events the topic lags behind on (made before the request is sent),
     *               or null to follow the topic only
     */
    EventFollower(DiffusionProperties.Kafka kafka, LedgerEvents ledger) {
        this.ledger = ledger;
        consumer = KafkaClients.consumer(kafka, "cli-" + UUID.randomUUID(), "cli-follow");
        List<PartitionInfo> parts = consumer.partitionsFor(kafka.eventsTopic(), Duration.ofSeconds(30));
        List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
    }

    /**
     * Follows the request's events from the topic and, every {@link #LEDGER_EVERY}, from the ledger
     * (the topic may lag: the broker away, the relay behind); an event seen twice (same
     * {@code eventId}, or same {@code rejectionId}) counts once.
     *
     * @param requestId   the client request id to follow
     * @param untilAccept stop at accepted/duplicate instead of waiting for the run to end
     * @param timeout     give up after this long (returns an outcome that {@linkplain Outcome#timedOut() timed out})
     */
    Outcome follow(String requestId, boolean untilAccept, Duration timeout, PrintStream err) {
        ProgressBar bar = new ProgressBar(err, "items");
        long deadline = System.nanoTime() + timeout.toNanos();
        long ledgerNext = System.nanoTime() + LEDGER_EVERY.toNanos();
        JsonNode last = null;
        Long acceptedRun = null;
        while (System.nanoTime() < deadline) {
            List<JsonNode> batch = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                if (requestId.equals(rec.key())) {
                    batch.add(JSON.readTree(rec.value()));
                }
            }
            if (ledger != null && System.nanoTime() >= ledgerNext) {
                try {
                    batch.addAll(ledger.since(requestId));
                } catch (RuntimeException e) {
                    // the database away for a while: the topic is still followed, the ledger read next round
                }
                ledgerNext = System.nanoTime() + LEDGER_EVERY.toNanos();
            }
            for (JsonNode ev : batch) {
                EventType type;
                try {
                    type = EventType.of(ev.path("type").asString(""));
                } catch (IllegalArgumentException e) {
                    continue; // a type this client does not know: not one that ends a wait
                }
                if (!firstSight(ev)) {
                    continue;
                }
                if (type == EventType.ACCEPTED) {
                    acceptedRun = ev.path("runId").asLong();
                } else if (type == EventType.DUPLICATE && !untilAccept && acceptedRun != null
                        && acceptedRun == ev.path("runId").asLong()) {
                    continue; // the same record delivered again (intake's commit was lost): the run goes on
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

    /** False for an event already seen (delivery is at least once, and the ledger repeats the topic). */
    private boolean firstSight(JsonNode ev) {
        if (ev.hasNonNull("rejectionId")) { // a refusal: the topic's event and the ledger's row share it
            return seenRejections.add(ev.path("rejectionId").asLong());
        }
        return !ev.hasNonNull("eventId") || seenEvents.add(ev.path("eventId").asLong());
    }

    /** A follower of the context's events topic that also reads the context's ledger. */
    static EventFollower open(ConfigurableApplicationContext ctx) {
        return new EventFollower(ctx.getBean(DiffusionProperties.class).kafka(),
                new LedgerEvents(ctx.getBean(EventStore.class), ctx.getBean(RejectionStore.class)));
    }

    @Override
    public void close() {
        consumer.close();
    }
}
