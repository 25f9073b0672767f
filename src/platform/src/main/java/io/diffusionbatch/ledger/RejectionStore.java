package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

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
                .query((rs, k) -> new Rejection(rs.getLong("id"), rs.getTimestamp("received_at").toInstant(),
                        rs.getString("source"), rs.getString("client_request_id"), rs.getString("reasons"), rs.getInt("n")))
                .list();
    }

    /** The raw bytes of a rejection exactly as received. */
    public byte[] payload(long id) {
        return jdbc.sql("SELECT payload FROM rejected_inputs WHERE id = ?").param(id).query(byte[].class).single();
    }
}
