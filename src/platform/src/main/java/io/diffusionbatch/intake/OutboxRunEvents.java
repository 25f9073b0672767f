package io.diffusionbatch.intake;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.RunEvents;
import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionProperties;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes each lifecycle event to the ledger in the caller's transaction: into
 * {@code request_events} (every type but progress) and into the {@link EventOutbox}, from which the
 * {@link EventRelay} publishes it on the events topic after commit, keyed by the client's request
 * id: {@code {"type":…,"eventId":…,"runId":…,"requestId":…,"at":…, …detail}}. Nothing here waits
 * for Kafka. Progress events are written at most every {@value #PROGRESS_INTERVAL_MS} ms per run.
 * Thread-safe.
 */
@Component
public class OutboxRunEvents implements RunEvents {

    static final long PROGRESS_INTERVAL_MS = 500;
    /** The header that carries an event's id (also its {@code eventId} field). */
    public static final String EVENT_ID_HEADER = "diffusion.event-id";
    private static final JsonMapper JSON = Json.MAPPER;

    private final EventStore store;
    private final EventOutbox outbox;
    private final RequestStore requests;
    private final String topic;
    private final Map<Long, String> clientIds = new ConcurrentHashMap<>();
    private final Map<Long, Long> lastProgress = new ConcurrentHashMap<>();

    public OutboxRunEvents(EventStore store, EventOutbox outbox, RequestStore requests, DiffusionProperties props) {
        this.store = store;
        this.outbox = outbox;
        this.requests = requests;
        this.topic = props.kafka().eventsTopic();
    }

    @Override
    public void publish(long requestId, EventType type, Map<String, Object> detail) {
        long now = System.currentTimeMillis();
        if (type == EventType.PROGRESS) {
            Long last = lastProgress.get(requestId);
            if (last != null && now - last < PROGRESS_INTERVAL_MS) {
                return;
            }
            lastProgress.put(requestId, now);
        } else {
            lastProgress.remove(requestId);
        }
        long eventId = outbox.nextId();
        if (type != EventType.PROGRESS) {
            store.record(requestId, type.wireName(), JSON.writeValueAsString(detail), eventId);
        }
        String clientId = clientIds.computeIfAbsent(requestId,
                id -> requests.find(id).map(RequestRow::clientRequestId).orElse(""));
        if (type.isFinal()) {
            clientIds.remove(requestId); // a retried run looks it up again; the map does not grow with runs
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type.wireName());
        event.put("eventId", eventId);
        event.put("runId", requestId);
        event.put("requestId", clientId);
        event.put("at", Instant.ofEpochMilli(now).toString());
        event.putAll(detail);
        add(eventId, clientId, event, requestId);
    }

    /**
     * Writes an event that belongs to no run (e.g. a rejected input) in the caller's transaction; its
     * {@code eventId} is set here.
     */
    public void publishUnbound(String clientRequestId, Map<String, Object> event) {
        long eventId = outbox.nextId();
        Map<String, Object> withId = new LinkedHashMap<>();
        withId.put("type", event.get("type"));
        withId.put("eventId", eventId);
        withId.putAll(event);
        add(eventId, clientRequestId, withId, null);
    }

    private void add(long eventId, String key, Map<String, Object> event, Long requestId) {
        outbox.add(eventId, topic, key, JSON.writeValueAsString(event).getBytes(StandardCharsets.UTF_8),
                Map.of(EVENT_ID_HEADER, Long.toString(eventId)), requestId);
    }
}
