package io.diffusionbatch.ledger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Repository;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL session advisory lock held on a connection of its own: whoever holds it leads (cluster
 * mode's active manager). The lock lives as long as the session: a process that dies or loses its
 * connection loses it at once, and another's next {@link #tryHold} takes it. Thread-safe (one holder
 * per instance; calls are serialized).
 */
@Repository
public class LeaderLock {

    /** The lock's key: "diffusio" in ASCII. */
    public static final long KEY = 0x646966667573696FL;

    private static final Logger LOG = LoggerFactory.getLogger(LeaderLock.class);

    private final DataSource dataSource;
    private Connection held;

    public LeaderLock(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Keeps the lock, or takes it when free: whether this instance holds it now. A held lock whose
     * session ended (the database went away, the connection broke) is lost, and taken again only
     * when free.
     *
     * @throws RuntimeException when the database cannot be asked (the lock is then not held)
     */
    public synchronized boolean tryHold() {
        if (held != null) {
            try (Statement s = held.createStatement()) {
                s.setQueryTimeout(5);
                s.execute("SELECT 1");
                return true;
            } catch (SQLException e) {
                LOG.warn("leadership lost: its database session ended ({})", e.getMessage());
                drop();
            }
        }
        try {
            Connection c = dataSource.getConnection();
            boolean got = false;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + KEY + ")")) {
                got = rs.next() && rs.getBoolean(1);
            } finally {
                if (got) {
                    held = c;
                } else {
                    c.close();
                }
            }
            return got;
        } catch (SQLException e) {
            throw new DatabaseUnavailableException("leadership lock: " + e.getMessage(), e);
        }
    }

    /** Whether this instance held the lock at its last {@link #tryHold}. */
    public synchronized boolean holds() {
        return held != null;
    }

    /** Gives the lock up (another instance's next try takes it); nothing when not held. */
    public synchronized void release() {
        if (held == null) {
            return;
        }
        try (Statement s = held.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + KEY + ")");
        } catch (SQLException e) {
            LOG.debug("leadership lock not released (it goes with the session): {}", e.getMessage());
        }
        drop();
    }

    private void drop() {
        try {
            held.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("leadership connection not closed: {}", e.getMessage());
        }
        held = null;
    }
}
