package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Instant;
import java.util.List;

/** The lifecycle events of each request, as also published on the events topic. Thread-safe. */
@Repository
public class EventStore {

    /** One stored event; {@code detailJson} is a JSON object. */
    public record Event(long id, long requestId, String type, Instant at, String detailJson) {
    }

    private final JdbcClient jdbc;

    public EventStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void record(long requestId, String type, String detailJson) {
        jdbc.sql("INSERT INTO request_events (request_id, type, detail) VALUES (?, ?, ?::jsonb)")
                .params(requestId, type, detailJson).update();
    }

    public List<Event> of(long requestId) {
        return jdbc.sql("SELECT id, request_id, type, at, detail::text AS detail FROM request_events WHERE request_id = ? ORDER BY id")
                .param(requestId)
                .query((rs, k) -> new Event(rs.getLong("id"), rs.getLong("request_id"), rs.getString("type"),
                        rs.getTimestamp("at").toInstant(), rs.getString("detail")))
                .list();
    }
}
