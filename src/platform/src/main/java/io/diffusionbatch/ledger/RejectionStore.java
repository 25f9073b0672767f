package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** Inputs that were refused, with their source, reasons (JSON) and raw bytes. Thread-safe. */
@Repository
public class RejectionStore {

    /** A stored rejection; {@code clientRequestId} is null when it could not be read. */
    public record Rejection(long id, Instant receivedAt, String source, String clientRequestId, String reasonsJson,
                            int payloadBytes) {
    }

    private final JdbcClient jdbc;

    public RejectionStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return the new row's id */
    public long record(String source, String clientRequestId, String reasonsJson, byte[] payload) {
        return jdbc.sql("INSERT INTO rejected_inputs (source, client_request_id, reasons, payload) VALUES (?, ?, ?::jsonb, ?) RETURNING id")
                .params(source, clientRequestId, reasonsJson, payload).query(Long.class).single();
    }

    public List<Rejection> latest(int limit) {
        return jdbc.sql("SELECT id, received_at, source, client_request_id, reasons::text AS reasons, octet_length(payload) AS n "
                        + "FROM rejected_inputs ORDER BY id DESC LIMIT ?").param(limit)
                .query(RejectionStore::rejection).list();
    }

    /** The raw bytes of a rejection exactly as received. */
    public byte[] payload(long id) {
        return jdbc.sql("SELECT payload FROM rejected_inputs WHERE id = ?").param(id).query(byte[].class).single();
    }

    /** The newest rejection's id so far: a mark before an action, for {@link #after}. */
    public long mark() {
        return jdbc.sql("SELECT coalesce(max(id), 0) FROM rejected_inputs").query(Long.class).single();
    }

    /** The rejections recorded after {@code mark} for a client request id, oldest first. */
    public List<Rejection> after(String clientRequestId, long mark) {
        return jdbc.sql("SELECT id, received_at, source, client_request_id, reasons::text AS reasons, "
                        + "octet_length(payload) AS n FROM rejected_inputs WHERE client_request_id = ? AND id > ? ORDER BY id")
                .params(clientRequestId, mark).query(RejectionStore::rejection).list();
    }

    private static Rejection rejection(ResultSet rs, int row) throws SQLException {
        return new Rejection(rs.getLong("id"), rs.getTimestamp("received_at").toInstant(), rs.getString("source"),
                rs.getString("client_request_id"), rs.getString("reasons"), rs.getInt("n"));
    }
}
