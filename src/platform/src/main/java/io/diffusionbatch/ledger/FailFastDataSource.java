package io.diffusionbatch.ledger;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;

/**
 * The application's data source: the pool, except that while the {@link DatabaseWatch} knows the
 * database is unreachable a connection is refused at once (SQLSTATE 08001, naming since when and
 * why) instead of after the pool's 10 s connection timeout. Dashboard pages, health probes and a
 * graceful stop therefore answer within a second during an outage, and callers that retry
 * ({@link DatabaseWatch#isOutage}) see an outage. Threads that run the job are patient instead
 * ({@link DatabaseWatch#runPatiently}): their connections wait for the database to come back.
 * Thread-safe.
 */
public final class FailFastDataSource extends DelegatingDataSource implements AutoCloseable {

    private static final long SLICE_MS = 250;

    private final ObjectProvider<DatabaseWatch> watch;

    /**
     * @param target the pool; never null
     * @param watch  resolved at the first connection (the watch itself depends on this data source)
     */
    public FailFastDataSource(DataSource target, ObjectProvider<DatabaseWatch> watch) {
        super(target);
        this.watch = watch;
    }

    /**
     * A connection from the pool, asked for in slices of {@value #SLICE_MS} ms up to the pool's
     * connection timeout, so that a caller that began to wait just before the watch saw the outage
     * is refused as soon as it does.
     */
    @Override
    public Connection getConnection() throws SQLException {
        refuseWhileDown();
        HikariDataSource hikari = getTargetDataSource() instanceof HikariDataSource h ? h : null;
        if (hikari == null || !(hikari.getHikariPoolMXBean() instanceof HikariPool pool)) {
            return super.getConnection(); // not Hikari, or its pool starts with this first connection
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hikari.getConnectionTimeout());
        while (true) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return pool.getConnection(Math.max(1, Math.min(SLICE_MS, leftMs)));
            } catch (SQLTransientConnectionException e) {
                if (leftMs <= SLICE_MS) {
                    throw e;
                }
                refuseWhileDown();
            }
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        refuseWhileDown();
        return super.getConnection(username, password);
    }

    /** Closes the pool (the bean's destroy method: the wrapper must not keep the pool from closing). */
    @Override
    public void close() throws Exception {
        if (getTargetDataSource() instanceof AutoCloseable c) {
            c.close();
        }
    }

    private void refuseWhileDown() throws SQLException {
        DatabaseWatch w = watch.getIfAvailable();
        if (w != null && !w.available() && DatabaseWatch.patience().isPresent()) {
            w.awaitAvailable(DatabaseWatch.patience().get(), () -> true); // a job thread waits (not past a shutdown)
        }
        if (w != null && !w.available()) {
            throw new SQLTransientConnectionException("the database is unreachable"
                    + w.downSince().map(t -> " since " + t).orElse("") + ": " + w.reason(), "08001");
        }
    }
}
