package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The lifecycle events of each request, as also published on the events topic (through the
 * {@link EventOutbox}, with the same event id). Thread-safe.
 */
@Repository
public class EventStore {

    /** One stored event; {@code detailJson} is a JSON object. */
    public record Event(long id, long requestId, String type, Instant at, String detailJson, Long eventId) {
    }

    private final JdbcClient jdbc;

    public EventStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Stores a lifecycle event in the caller's transaction.
     *
     * @param eventId the id of the record published for it ({@link EventOutbox#nextId()})
     */
    public void record(long requestId, String type, String detailJson, long eventId) {
        jdbc.sql("INSERT INTO request_events (request_id, type, detail, event_id) VALUES (?, ?, ?::jsonb, ?)")
                .params(requestId, type, detailJson, eventId).update();
    }

    public List<Event> of(long requestId) {
        return jdbc.sql("SELECT id, request_id, type, at, detail::text AS detail, event_id FROM request_events "
                        + "WHERE request_id = ? ORDER BY id")
                .param(requestId).query(EventStore::event).list();
    }

    /** The newest event id stored so far: a mark before an action, for {@link #after}. */
    public long mark() {
        return jdbc.sql("SELECT coalesce(max(event_id), 0) FROM request_events").query(Long.class).single();
    }

    /**
     * The events stored after {@code mark} for the runs of a client request id, in the order they were
     * written (what a reader that cannot wait for the events topic reads instead).
     */
    public List<Event> after(String clientRequestId, long mark) {
        return jdbc.sql("SELECT e.id, e.request_id, e.type, e.at, e.detail::text AS detail, e.event_id "
                        + "FROM request_events e JOIN requests r ON r.id = e.request_id "
                        + "WHERE r.client_request_id = ? AND e.event_id > ? ORDER BY e.event_id")
                .params(clientRequestId, mark).query(EventStore::event).list();
    }

    private static Event event(ResultSet rs, int row) throws SQLException {
        return new Event(rs.getLong("id"), rs.getLong("request_id"), rs.getString("type"),
                rs.getTimestamp("at").toInstant(), rs.getString("detail"), (Long) rs.getObject("event_id"));
    }
}
