package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Duration;
import java.util.List;

/**
 * The server processes that use the ledger, with their heartbeats (table {@code servers}): a
 * server writes its row when it starts dispatching and renews it with its leases; a row whose
 * heartbeat is older than the caller's limit is a dead server's. Thread-safe.
 */
@Repository
public class ServerStore {

    private final JdbcClient jdbc;

    public ServerStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Writes the server's row, or renews its heartbeat (the row is written again if it was deleted). No null arguments.
     *
     * @param role {@code server}, {@code manager} or {@code worker}
     */
    public void beat(String id, String host, long pid, String version, String role) {
        jdbc.sql("INSERT INTO servers (id, host, pid, version, role) VALUES (?, ?, ?, ?, ?) "
                        + "ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()")
                .params(id, host, pid, version, role).update();
    }

    /**
     * Deletes the rows of servers whose last heartbeat is older than {@code olderThan} (they died
     * without a clean stop), so the table does not grow with every crash.
     *
     * @return how many
     */
    public int forget(Duration olderThan) {
        return jdbc.sql("DELETE FROM servers WHERE heartbeat_at < now() - make_interval(secs => ?)")
                .param(olderThan.toMillis() / 1000.0).update();
    }

    /** Deletes the server's row (it stops cleanly); nothing when there is none. */
    public void remove(String id) {
        jdbc.sql("DELETE FROM servers WHERE id = ?").param(id).update();
    }

    /** The servers whose last heartbeat is at most {@code within} old (the database's clock), oldest start first. */
    public List<ServerRow> live(Duration within) {
        return jdbc.sql("SELECT id, host, pid, version, started_at, heartbeat_at, role FROM servers "
                        + "WHERE heartbeat_at > now() - make_interval(secs => ?) ORDER BY started_at, id")
                .param(within.toMillis() / 1000.0)
                .query((rs, n) -> new ServerRow(rs.getString("id"), rs.getString("host"), rs.getLong("pid"),
                        rs.getString("version"), RequestStore.instant(rs.getTimestamp("started_at")),
                        RequestStore.instant(rs.getTimestamp("heartbeat_at")), rs.getString("role")))
                .list();
    }
}
