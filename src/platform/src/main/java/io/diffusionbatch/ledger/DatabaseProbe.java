package io.diffusionbatch.ledger;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DependencyFailure.Service;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * One connection to the ledger's database with bounded connect and login timeouts, made before
 * the pool and Flyway touch it, so that an unreachable server or a refused login is one line
 * ({@link DependencyFailure}, service {@link Service#DATABASE}) within seconds instead of a pool's
 * timeout and a stack trace. Stateless; thread-safe.
 */
public final class DatabaseProbe {

    /** How long the probe may take to connect, and again to log in. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private DatabaseProbe() {
    }

    /**
     * Connects, logs in, and returns the server's product name and version.
     *
     * @param url      the JDBC URL; never null
     * @param username null for the driver's default
     * @param password null for none
     * @throws DependencyFailure naming the address (without its query string, which may hold
     *                           secrets) and the cause
     */
    public static String check(String url, String username, String password) {
        return check(url, username, password, new Properties());
    }

    /**
     * As {@link #check(String, String, String)}, with the driver properties the pool connects with
     * ({@code spring.datasource.hikari.data-source-properties.*}: {@code sslmode}, {@code sslrootcert}, ...),
     * so that the probe connects as the pool would.
     */
    public static String check(String url, String username, String password, Properties driverProperties) {
        Properties p = new Properties();
        p.putAll(driverProperties);
        if (username != null) {
            p.setProperty("user", username);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        String seconds = Long.toString(TIMEOUT.toSeconds());
        p.setProperty("connectTimeout", seconds); // PostgreSQL's driver: seconds for the TCP connect
        p.setProperty("loginTimeout", seconds);
        try (Connection c = DriverManager.getConnection(url, p)) {
            return c.getMetaData().getDatabaseProductName() + " " + c.getMetaData().getDatabaseProductVersion();
        } catch (SQLException e) {
            throw new DependencyFailure(Service.DATABASE, verb(e.getSQLState()) + " PostgreSQL at " + address(url)
                    + (username == null || !verb(e.getSQLState()).endsWith("log in to") ? "" : " as " + username)
                    + ": " + DependencyFailure.rootMessage(e), e);
        }
    }

    /** What failed, by SQLSTATE: class 28 is a refused login, 3D a missing database, anything else no connection. */
    static String verb(String sqlState) {
        if (sqlState != null && sqlState.startsWith("28")) {
            return "cannot log in to";
        }
        if (sqlState != null && sqlState.startsWith("3D")) {
            return "no such database on";
        }
        return "cannot reach";
    }

    /** The JDBC URL without its query string (where passwords may be given). */
    public static String address(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }
}
