package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.request.Violation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * The events of one client request id as the ledger has them, in the shape of the events topic,
 * for a follower whose topic lags (the broker away, the relay behind): the lifecycle events stored
 * since this object was made (same {@code eventId} as on the topic), and a rejection recorded since
 * then as a {@code rejected} event. Progress is not stored and so not seen here. Not thread-safe.
 */
final class LedgerEvents {

    private static final JsonMapper JSON = Json.MAPPER;

    private final EventStore events;
    private final RejectionStore rejections;
    private final long eventMark;
    private final long rejectionMark;

    /** Marks the ledger now: make it before the request is sent. */
    LedgerEvents(EventStore events, RejectionStore rejections) {
        this.events = events;
        this.rejections = rejections;
        this.eventMark = events.mark();
        this.rejectionMark = rejections.mark();
    }

    /** The events of {@code requestId} written since the mark, oldest first. */
    List<JsonNode> since(String requestId) {
        List<JsonNode> out = new ArrayList<>();
        for (EventStore.Event e : events.after(requestId, eventMark)) {
            ObjectNode ev = JSON.createObjectNode();
            ev.put("type", e.type());
            ev.put("eventId", e.eventId());
            ev.put("runId", e.requestId());
            ev.put("requestId", requestId);
            ev.put("at", e.at().toString());
            JSON.readTree(e.detailJson()).properties().forEach(p -> ev.set(p.getKey(), p.getValue()));
            out.add(ev);
        }
        for (RejectionStore.Rejection r : rejections.after(requestId, rejectionMark)) {
            ObjectNode ev = JSON.createObjectNode();
            ArrayNode reasons = ev.putArray("reasons");
            boolean duplicate = false;
            for (JsonNode v : JSON.readTree(r.reasonsJson())) {
                Violation violation = new Violation(v.path("field").asString(), v.path("rule").asString(),
                        v.path("message").asString());
                duplicate |= Violation.Rules.DUPLICATE_REQUEST_ID.equals(violation.rule());
                reasons.add(violation.toString()); // as the topic's event has them: field: message [rule]
            }
            if (duplicate) {
                continue; // the run it duplicates reports it (a duplicate event, above)
            }
            ev.put("type", "rejected");
            ev.put("requestId", requestId);
            ev.put("at", r.receivedAt().toString());
            ev.put("source", r.source());
            ev.put("rejectionId", r.id());
            out.add(ev);
        }
        return out;
    }
}
