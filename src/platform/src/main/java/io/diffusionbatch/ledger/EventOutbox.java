package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The transactional outbox: records for Kafka written in the caller's transaction (so that they
 * exist exactly when the change they report committed) and handed to the relay after commit.
 * Rows leave in id order; a row is deleted once the broker has acknowledged it, so a row may be
 * published more than once (after a relay lost its lease or the database went away before the
 * delete) but never lost. One instance relays at a time: the holder of the relay's lease
 * ({@link #lead}). Thread-safe.
 */
@Repository
public class EventOutbox {

    /**
     * One record to publish.
     *
     * @param id        the event id readers deduplicate on (also the publishing order)
     * @param topic     where it goes
     * @param key       the record key, or null
     * @param value     the record value, or null for a tombstone
     * @param headers   header name → UTF-8 text; never null
     * @param requestId the run it reports, or null (a dead letter, a rejected input)
     */
    public record Entry(long id, String topic, String key, byte[] value, Map<String, String> headers,
                        Long requestId) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<LinkedHashMap<String, String>> HEADERS = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final Object added = new Object();
    private long generation;

    public EventOutbox(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A new event id, for a value that must carry it; pass it to {@link #add}. */
    public long nextId() {
        return jdbc.sql("SELECT nextval(pg_get_serial_sequence('event_outbox', 'id'))").query(Long.class).single();
    }

    /**
     * Adds a record in the caller's transaction (or on its own when there is none); the relay sees it
     * once that commits.
     *
     * @param id from {@link #nextId()}
     */
    public void add(long id, String topic, String key, byte[] value, Map<String, String> headers, Long requestId) {
        jdbc.sql("INSERT INTO event_outbox (id, topic, key, value, headers, request_id) VALUES (?, ?, ?, ?, ?::jsonb, ?)")
                .params(id, topic, key, value, JSON.writeValueAsString(headers), requestId).update();
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    signal();
                }
            });
        } else {
            signal();
        }
    }

    /**
     * The oldest records not yet acknowledged (nor refused), in id order: at most {@code limit}, and
     * no more than {@code maxBytes} of values together (but always the first), so that a burst of
     * large dead letters cannot fill the heap.
     */
    public List<Entry> oldest(int limit, long maxBytes) {
        return jdbc.sql("SELECT id, topic, key, value, headers, request_id FROM (SELECT id, topic, key, value, "
                        + "headers::text AS headers, request_id, sum(coalesce(octet_length(value), 0)) OVER (ORDER BY id) "
                        + "- coalesce(octet_length(value), 0) AS before FROM event_outbox WHERE refused IS NULL "
                        + "ORDER BY id LIMIT ?) t WHERE before < ? OR before = 0 ORDER BY id").params(limit, maxBytes)
                .query((rs, k) -> new Entry(rs.getLong("id"), rs.getString("topic"), rs.getString("key"),
                        rs.getBytes("value"), JSON.readValue(rs.getString("headers"), HEADERS),
                        (Long) rs.getObject("request_id")))
                .list();
    }

    /**
     * Sets a record aside that the broker refused for what it is (too large, say), so that the records
     * after it go on; it stays in the table with the reason, counted by {@link #backlog()}.
     */
    public void refuse(long id, String reason) {
        jdbc.sql("UPDATE event_outbox SET refused = ? WHERE id = ?").params(reason, id).update();
    }

    /** Removes acknowledged records. */
    public void delete(Collection<Long> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql("DELETE FROM event_outbox WHERE id = ANY(?)").param(ids.toArray(Long[]::new)).update();
        }
    }

    /**
     * What waits to be published.
     *
     * @param records how many records wait
     * @param oldest  how long the oldest waiting one has waited (zero when none)
     * @param refused how many the broker refused for what they are (kept, never sent)
     */
    public record Backlog(long records, Duration oldest, long refused) {
    }

    /** What waits to be published now. */
    public Backlog backlog() {
        return jdbc.sql("SELECT count(*) FILTER (WHERE refused IS NULL) AS n, count(*) FILTER (WHERE refused IS NOT NULL) "
                        + "AS r, coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE refused IS NULL)), 0) "
                        + "AS age FROM event_outbox")
                .query((rs, k) -> new Backlog(rs.getLong("n"), Duration.ofMillis(Math.round(rs.getDouble("age") * 1000)),
                        rs.getLong("r")))
                .single();
    }

    /**
     * Takes or renews the relay's lease for {@code owner}: it succeeds when {@code owner} holds it,
     * or nobody does, or the holder's lease has expired. One statement: of several instances, one
     * leads.
     */
    public boolean lead(String owner, Duration lease) {
        return jdbc.sql("UPDATE event_relay SET owner = ?, lease_until = now() + make_interval(secs => ?) "
                        + "WHERE id = 1 AND (owner IS NULL OR owner = ? OR lease_until < now())")
                .params(owner, lease.toMillis() / 1000.0, owner).update() == 1;
    }

    /** Gives the lease up (the instance stops), so that another instance relays at once. */
    public void resign(String owner) {
        jdbc.sql("UPDATE event_relay SET owner = NULL, lease_until = NULL WHERE id = 1 AND owner = ?").param(owner)
                .update();
    }

    /** The instance relaying now, if its lease holds. */
    public Optional<String> leader() {
        return jdbc.sql("SELECT owner FROM event_relay WHERE id = 1 AND lease_until >= now()").query(String.class)
                .optional();
    }

    /**
     * Waits until a record added in this process has committed since {@code seen} (a value from an
     * earlier call, 0 at first), or {@code max} passed; returns the new value. Records added by other
     * instances are not signalled: the relay also polls.
     */
    public long awaitAdded(long seen, Duration max) throws InterruptedException {
        synchronized (added) {
            long deadline = System.nanoTime() + max.toNanos();
            while (generation == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(added, left);
            }
            return generation;
        }
    }

    private void signal() {
        synchronized (added) {
            generation++;
            added.notifyAll();
        }
    }
}
