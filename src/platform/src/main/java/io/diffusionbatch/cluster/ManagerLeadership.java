package io.diffusionbatch.cluster;

import io.diffusionbatch.job.DispatchGate;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One active manager among several (a standby takes over within seconds of the active one's death):
 * the active one holds a PostgreSQL session advisory lock ({@value #LOCK_KEY}) on a connection of its
 * own, checked every poll interval. The lock goes with the session, so a manager that dies or loses
 * its database connection loses it at once and a standby's next try takes it. Only the active
 * manager claims, recovers and starts runs ({@link DispatchGate}); every manager takes requests in,
 * relays events (one at a time, by the relay's lease), re-queues lost partitions and serves the
 * dashboard. A manager that loses the lock while it drives runs finishes them: their leases keep them
 * its own. Thread-safe.
 */
@Component
@ConditionalOnRole(Roles.MANAGER)
public class ManagerLeadership implements SmartLifecycle, DispatchGate {

    /** The advisory lock's key: "diffusio" in ASCII. */
    public static final long LOCK_KEY = 0x646966667573696FL;

    private static final Logger LOG = LoggerFactory.getLogger(ManagerLeadership.class);

    private final DataSource dataSource;
    private final long everyMs;
    private volatile boolean leader;
    private volatile boolean running;
    private Connection held; // the leadership thread's only
    private Thread thread;

    public ManagerLeadership(DataSource dataSource, DiffusionProperties props) {
        this.dataSource = dataSource;
        this.everyMs = Math.max(200, props.cluster().pollInterval().toMillis());
    }

    @Override
    public boolean mayDispatch() {
        return leader;
    }

    @Override
    public void start() {
        running = true;
        check(); // at once: a lone manager dispatches from its first loop
        thread = new Thread(this::loop, "manager-leadership");
        thread.setDaemon(true);
        thread.start();
    }

    /** Releases the lock (a standby takes over at its next try) after the dispatcher stopped. */
    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (held != null) {
                try (Statement s = held.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
                } catch (SQLException e) {
                    LOG.debug("leadership lock not released (it goes with the session): {}", e.getMessage());
                }
                drop();
            }
            leader = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before the dispatcher, stops after it. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 300;
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(everyMs);
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    private synchronized void check() {
        if (!running) {
            return;
        }
        if (held != null) {
            try (Statement s = held.createStatement()) {
                s.setQueryTimeout(5);
                s.execute("SELECT 1");
                return; // the session and its lock live
            } catch (SQLException e) {
                LOG.warn("this manager is no longer the active one: its database session ended ({})", e.getMessage());
                drop();
                leader = false;
            }
        }
        try {
            Connection c = dataSource.getConnection();
            boolean got;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_KEY + ")")) {
                got = rs.next() && rs.getBoolean(1);
            }
            if (got) {
                held = c;
                leader = true;
                LOG.info("this manager is the active one (advisory lock {})", LOCK_KEY);
            } else {
                c.close();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("leadership not checked: {}", e.getMessage()); // the database watch logs an outage
        }
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
