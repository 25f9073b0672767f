package io.diffusionbatch.ledger;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What {@code doctor} reads from the ledger without starting the platform (no pool, no migration):
 * the schema's version against the jar's migrations, and the live servers. Each call opens its own
 * connection; run {@link DatabaseProbe#check} first (it fails within seconds, these do not bound the
 * connect). Thread-safe.
 */
public final class LedgerCheck {

    /**
     * The schema's version: the latest migration applied and the latest the jar holds, either
     * {@code null} when there is none.
     */
    public record Schema(String applied, String latest) {

        /** Whether the database has every migration of the jar (and none it does not know). */
        public boolean current() {
            return latest != null && latest.equals(applied);
        }
    }

    private final SimpleDriverDataSource dataSource;
    private final JdbcClient jdbc;
    private final EventOutbox outbox;

    /**
     * @param url      the JDBC URL; never null
     * @param username null for the driver's default
     * @param password null for none
     */
    public LedgerCheck(String url, String username, String password) {
        try {
            this.dataSource = new SimpleDriverDataSource(DriverManager.getDriver(url), url, username, password);
        } catch (SQLException e) {
            throw new IllegalArgumentException("no JDBC driver for " + DatabaseProbe.address(url), e);
        }
        this.jdbc = JdbcClient.create(dataSource);
        this.outbox = new EventOutbox(jdbc);
    }

    /**
     * Flyway's view of the schema, without migrating.
     *
     * @param locations where the migrations are ({@code spring.flyway.locations})
     */
    public Schema schema(String... locations) {
        MigrationInfoService info = Flyway.configure().dataSource(dataSource).locations(locations).load().info();
        MigrationInfo current = info.current();
        String latest = Arrays.stream(info.all()).filter(m -> m.getState().isResolved() && m.getVersion() != null)
                .max(Comparator.comparing(MigrationInfo::getVersion))
                .map(m -> m.getVersion().getVersion()).orElse(null);
        return new Schema(current == null || current.getVersion() == null ? null : current.getVersion().getVersion(),
                latest);
    }

    /** The servers with a heartbeat at most {@code within} old ({@link ServerStore#live}). */
    public List<ServerRow> liveServers(Duration within) {
        return new ServerStore(jdbc).live(within);
    }

    /** The events waiting in the outbox for the broker. */
    public EventOutbox.Backlog outbox() {
        return outbox.backlog();
    }

    /** The instance that relays the outbox now, if its lease holds. */
    public Optional<String> relay() {
        return outbox.leader();
    }
}
