package io.diffusionbatch.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionSystemException;

import javax.sql.DataSource;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Knows whether the ledger's database answers, so that the rest of the platform can wait for it
 * instead of failing work: a thread of its own checks a connection of its own every
 * {@value #PROBE_MS} ms (one round trip), and at once when a caller {@linkplain #report reports} a
 * failure that {@linkplain #isOutage looks like an outage}. It logs one line when the database
 * goes away and one when it is back. While it is away the application's data source refuses
 * connections at once ({@link FailFastDataSource}), so that every caller (dashboard pages, health
 * probes, a graceful stop) fails within a second instead of waiting for the pool's timeout.
 *
 * <p>Thread-safe. {@link #awaitAvailable} blocks its caller; everything else returns at once.
 */
@Component
public class DatabaseWatch implements SmartLifecycle, ApplicationContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseWatch.class);
    static final long PROBE_MS = 500;
    private static final int VALID_SECONDS = 2;
    private static final ThreadLocal<Duration> PATIENCE = new ThreadLocal<>();

    private final DataSource dataSource;
    private final Object lock = new Object();
    private volatile boolean up = true;
    private volatile Instant downSince;
    private volatile String reason = "";
    private volatile boolean running;
    private Connection probe;
    private Thread thread;

    private volatile boolean closing;
    private volatile ApplicationContext context;

    /** @param dataSource the application's data source (a {@link FailFastDataSource} is unwrapped to its pool) */
    public DatabaseWatch(DataSource dataSource) {
        this.dataSource = dataSource instanceof DelegatingDataSource d && d.getTargetDataSource() != null
                ? d.getTargetDataSource() : dataSource;
    }

    /** The application is shutting down: waiters return at once, so a graceful stop is not held up by an outage. */
    @EventListener
    public void closing(ContextClosedEvent event) {
        if (context != null && event.getApplicationContext() != context) {
            return; // a child context closing is not the application stopping
        }
        closing = true;
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /**
     * Whether a failure means the database (or the way to it) is unavailable, so that the same
     * work may succeed later: connection refused or reset, a pool that cannot hand out a
     * connection, a server shutting down or starting, too many connections (SQLSTATE class 08,
     * 57P01..57P03, 53300). Only connection-level failures count: a lock or serialization
     * conflict, a statement timeout, a full disk, a constraint violation, bad SQL or a bug is not
     * an outage (waiting for the database would not cure it). Walks the cause chain (and the
     * original failure behind a failed rollback); null is not an outage.
     */
    public static boolean isOutage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DatabaseUnavailableException || t instanceof CannotGetJdbcConnectionException
                    || t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException
                    || t instanceof SQLNonTransientConnectionException || t instanceof ConnectException) {
                return true;
            }
            if (t instanceof TransactionSystemException tse && tse.getOriginalException() != null
                    && tse.getOriginalException() != t && isOutage(tse.getOriginalException())) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                        || state.equals("57P03") || state.equals("53300")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Runs {@code task} on this thread with patient connections: while the database is away, a
     * connection asked for by this thread waits for it (at most {@code wait} per connection, not
     * past a shutdown) instead of being refused at once ({@link FailFastDataSource}). For the
     * job's threads, so that Spring Batch's own bookkeeping between micro-batches waits out a
     * short outage as the workers' ledger calls do; pages and probes stay fail-fast.
     */
    public static void runPatiently(Duration wait, Runnable task) {
        Duration before = PATIENCE.get();
        PATIENCE.set(wait);
        try {
            task.run();
        } finally {
            if (before == null) {
                PATIENCE.remove();
            } else {
                PATIENCE.set(before);
            }
        }
    }

    /** How long this thread's connections wait for the database; empty: they are refused at once. */
    static Optional<Duration> patience() {
        return Optional.ofNullable(PATIENCE.get());
    }

    /** Whether the database answered the last probe (true until a probe or a report says otherwise). */
    public boolean available() {
        return up;
    }

    /** Since when the database is unreachable; empty while it is available. */
    public Optional<Instant> downSince() {
        Instant d = downSince;
        return up || d == null ? Optional.empty() : Optional.of(d);
    }

    /** Why the last probe failed (the driver's message); empty while the database is available. */
    public String reason() {
        return up ? "" : reason;
    }

    /**
     * Tells the watch that a call failed; when the failure {@linkplain #isOutage is an outage} the
     * database is probed at once (on the watch's thread).
     *
     * @return whether {@code failure} is an outage (worth waiting for the database and retrying)
     */
    public boolean report(Throwable failure) {
        boolean outage = isOutage(failure);
        if (outage) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
        return outage;
    }

    /**
     * Blocks until the database answers, {@code keepWaiting} turns false (checked at every probe),
     * {@code max} has passed, or the watch stops.
     *
     * @return whether the database is available
     */
    public boolean awaitAvailable(Duration max, BooleanSupplier keepWaiting) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (lock) {
            lock.notifyAll(); // probe now: the caller just saw a failure
            while (!up && running && !closing && keepWaiting.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    lock.wait(Math.min(PROBE_MS, Math.max(1, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return up;
                }
            }
            return up;
        }
    }

    /**
     * Runs {@code call}; when it fails with an {@linkplain #isOutage outage}, waits for the database
     * (at most {@code window} in all, while {@code keepWaiting} holds) and runs it again. The call
     * must be safe to repeat: it either committed nothing or does the same thing again.
     *
     * @param what names the call in the exception, e.g. {@code record items 8..15 of run 3}
     * @throws DatabaseUnavailableException when the database did not come back in time, or the
     *                                      application is stopping
     * @throws RuntimeException             whatever {@code call} throws that is not an outage
     */
    public <T> T retrying(String what, Duration window, BooleanSupplier keepWaiting, Supplier<T> call) {
        long deadline = System.nanoTime() + window.toNanos();
        long backoffMs = 50;
        while (true) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (!report(e)) {
                    throw e;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !awaitAvailable(Duration.ofNanos(left), keepWaiting)) {
                    throw new DatabaseUnavailableException(what + ": the database is unreachable"
                            + (closing ? " and the application is stopping" : " for more than " + window.toSeconds() + " s")
                            + " (" + e.getMessage() + ")", e);
                }
                // the probe may answer before the pool's connections do: back off between tries
                backoffMs = Math.min(2_000, backoffMs * 2);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new DatabaseUnavailableException(what + ": interrupted while waiting for the database", e);
                }
            }
        }
    }

    @Override
    public void setApplicationContext(ApplicationContext applicationContext) {
        this.context = applicationContext;
    }

    /** Whether the application is shutting down (waiters no longer wait). */
    public boolean isClosing() {
        return closing;
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::loop, "database-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops the probe thread and wakes every waiter (they return; a graceful stop is not held up). */
    @Override
    public void stop() {
        running = false;
        synchronized (lock) {
            lock.notifyAll();
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeProbe();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before every user of the database, stops after them. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 100;
    }

    private void loop() {
        try {
            while (running) {
                boolean ok;
                try {
                    ok = probeOnce();
                } catch (RuntimeException | LinkageError e) {
                    reason = String.valueOf(e);
                    ok = false;
                }
                synchronized (lock) {
                    if (ok != up) {
                        changed(ok);
                    }
                    lock.notifyAll();
                    if (!running) {
                        return;
                    }
                    try {
                        lock.wait(PROBE_MS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        } finally {
            // a watch that stops watching must not leave the data source refusing connections
            synchronized (lock) {
                up = true;
                lock.notifyAll();
            }
        }
    }

    private void changed(boolean nowUp) {
        if (nowUp) {
            Duration away = Duration.between(downSince, Instant.now());
            up = true;
            LOG.info("database reachable again after {} s; work goes on", away.toSeconds());
        } else {
            downSince = Instant.now();
            up = false;
            LOG.warn("database unreachable ({}); generation and intake pause and retry until it is back", reason);
        }
    }

    /**
     * One round trip on the watch's own connection; when that fails, once more on a new one, so
     * that the reason logged is what a new connection meets (e.g. connection refused) rather than
     * the old connection's end.
     */
    private boolean probeOnce() {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                if (probe == null || probe.isClosed()) {
                    probe = openProbe();
                }
                if (probe.isValid(VALID_SECONDS)) {
                    return true;
                }
                reason = "no answer within " + VALID_SECONDS + " s";
            } catch (SQLException | RuntimeException e) {
                reason = String.valueOf(e.getMessage());
            }
            closeProbe();
        }
        return false;
    }

    /** A connection outside the pool (so a drained or waiting pool does not block the probe). */
    private Connection openProbe() throws SQLException {
        if (dataSource instanceof HikariDataSource h && h.getJdbcUrl() != null) {
            java.util.Properties p = new java.util.Properties();
            if (h.getUsername() != null) {
                p.setProperty("user", h.getUsername());
            }
            if (h.getPassword() != null) {
                p.setProperty("password", h.getPassword());
            }
            h.getDataSourceProperties().forEach((k, v) -> p.setProperty(k.toString(), v.toString()));
            p.setProperty("connectTimeout", Integer.toString(VALID_SECONDS));
            p.setProperty("loginTimeout", Integer.toString(VALID_SECONDS + 1)); // a server that accepts but never answers
            p.setProperty("socketTimeout", Integer.toString(VALID_SECONDS * 3));
            p.setProperty("ApplicationName", "diffusion-batch database-watch");
            return java.sql.DriverManager.getConnection(h.getJdbcUrl(), p);
        }
        return dataSource.getConnection();
    }

    private void closeProbe() {
        Connection c = probe;
        probe = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // it is gone already
            }
        }
    }
}
