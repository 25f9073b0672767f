package io.diffusionbatch.cluster;

import io.diffusionbatch.job.DispatchGate;
import io.diffusionbatch.ledger.LeaderLock;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * One active manager among several (a standby takes over within a poll interval of the active one's
 * death): the active one holds the ledger's {@link LeaderLock}, a PostgreSQL session advisory lock
 * checked every {@code diffusion.cluster.poll-interval}, which goes with its session. Only the active
 * manager claims, recovers and starts runs ({@link DispatchGate}); every manager takes requests in,
 * relays events (one at a time, by the relay's lease), re-queues lost partitions and serves the
 * dashboard. A manager that loses the lock while it drives runs finishes them: their leases keep them
 * its own. Thread-safe.
 */
@Component
@ConditionalOnRole(Roles.MANAGER)
public class ManagerLeadership implements SmartLifecycle, DispatchGate {

    private static final Logger LOG = LoggerFactory.getLogger(ManagerLeadership.class);

    private final LeaderLock lock;
    private final long everyMs;
    private volatile boolean leader;
    private volatile boolean running;
    private Thread thread;

    public ManagerLeadership(LeaderLock lock, DiffusionProperties props) {
        this.lock = lock;
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

    /** Gives the lock up (a standby takes over at its next try) once the dispatcher has stopped. */
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
        leader = false;
        lock.release();
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

    private void check() {
        boolean was = leader;
        boolean now;
        try {
            now = running && lock.tryHold();
        } catch (RuntimeException e) {
            LOG.debug("leadership not checked: {}", e.getMessage()); // the database watch logs an outage
            now = false;
        }
        leader = now;
        if (now && !was) {
            LOG.info("this manager is the active one (advisory lock {})", LeaderLock.KEY);
        } else if (!now && was) {
            LOG.warn("this manager is no longer the active one; its runs in progress finish here");
        }
    }
}
