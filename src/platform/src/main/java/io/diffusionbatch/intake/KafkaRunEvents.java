package io.diffusionbatch.intake;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.RunEvents;
import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records each lifecycle event in the ledger and publishes it on the events topic, keyed by the
 * client's request id: {@code {"type":…,"runId":…,"requestId":…,"at":…, …detail}}. Progress
 * events are published at most every {@value #PROGRESS_INTERVAL_MS} ms per run and not stored.
 * Thread-safe; never throws.
 */
@Component
public class KafkaRunEvents implements RunEvents, DisposableBean {

    static final long PROGRESS_INTERVAL_MS = 500;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaRunEvents.class);
    private static final JsonMapper JSON = Json.MAPPER;

    private final EventStore store;
    private final RequestStore requests;
    private final DiffusionProperties.Kafka kafka;
    private final Map<Long, String> clientIds = new ConcurrentHashMap<>();
    private final Map<Long, Long> lastProgress = new ConcurrentHashMap<>();
    private volatile KafkaProducer<String, byte[]> producer;

    public KafkaRunEvents(EventStore store, RequestStore requests, DiffusionProperties props) {
        this.store = store;
        this.requests = requests;
        this.kafka = props.kafka();
    }

    @Override
    public void publish(long requestId, EventType type, Map<String, Object> detail) {
        try {
            long now = System.currentTimeMillis();
            boolean progress = type == EventType.PROGRESS;
            if (progress) {
                Long last = lastProgress.get(requestId);
                if (last != null && now - last < PROGRESS_INTERVAL_MS) {
                    return;
                }
                lastProgress.put(requestId, now);
            } else {
                store.record(requestId, type.wireName(), JSON.writeValueAsString(detail));
                lastProgress.remove(requestId);
            }
            String clientId = clientIds.computeIfAbsent(requestId,
                    id -> requests.find(id).map(r -> r.clientRequestId()).orElse(""));
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", type.wireName());
            event.put("runId", requestId);
            event.put("requestId", clientId);
            event.put("at", Instant.ofEpochMilli(now).toString());
            event.putAll(detail);
            send(clientId, event);
        } catch (RuntimeException e) {
            LOG.warn("event {} of run {} not published: {}", type, requestId, e.getMessage());
        }
    }

    /** Publishes an event that belongs to no run (e.g. a rejected input). Never throws. */
    public void publishUnbound(String clientRequestId, Map<String, Object> event) {
        try {
            send(clientRequestId, event);
        } catch (RuntimeException e) {
            LOG.warn("event {} not published: {}", event.get("type"), e.getMessage());
        }
    }

    private void send(String key, Map<String, Object> event) {
        producer().send(new ProducerRecord<>(kafka.eventsTopic(), key,
                JSON.writeValueAsString(event).getBytes(StandardCharsets.UTF_8)));
    }

    private KafkaProducer<String, byte[]> producer() {
        KafkaProducer<String, byte[]> p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = KafkaClients.producer(kafka, "events");
                }
                p = producer;
            }
        }
        return p;
    }

    @Override
    public void destroy() {
        KafkaProducer<String, byte[]> p = producer;
        if (p != null) {
            p.close();
        }
    }
}
