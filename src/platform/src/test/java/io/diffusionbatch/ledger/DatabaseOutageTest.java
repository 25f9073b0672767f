package io.diffusionbatch.ledger;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.transaction.CannotCreateTransactionException;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures are a database outage (wait and retry the same work) and which are not (refuse or fail it). */
class DatabaseOutageTest {

    @Test
    void anUnreachableDatabaseIsAnOutage() {
        assertThat(DatabaseWatch.isOutage(new CannotGetJdbcConnectionException("pool exhausted"))).isTrue();
        assertThat(DatabaseWatch.isOutage(new CannotCreateTransactionException("down",
                new SQLTransientConnectionException("the database is unreachable", "08001")))).isTrue();
        assertThat(DatabaseWatch.isOutage(new IllegalStateException("wrapped",
                new SQLTransientConnectionException("connection reset")))).isTrue();
        assertThat(DatabaseWatch.isOutage(new IllegalStateException("refused", new ConnectException("refused")))).isTrue();
        // what the PostgreSQL driver throws when the server goes away under a statement, wrapped as Spring does
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("update", "UPDATE items",
                new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE))))
                .isTrue();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("update", "UPDATE items",
                new SQLException("terminating connection due to administrator command", "57P01")))).isTrue();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("select", "SELECT 1",
                new SQLException("the database system is starting up", "57P03")))).isTrue();
        assertThat(DatabaseWatch.isOutage(new DatabaseUnavailableException("gone", null))).isTrue();
    }

    @Test
    void badDataAndBugsAreNotAnOutage() {
        assertThat(DatabaseWatch.isOutage(new DataIntegrityViolationException("value too long"))).isFalse();
        assertThat(DatabaseWatch.isOutage(new NullPointerException())).isFalse();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("insert", "INSERT",
                new SQLException("duplicate key value violates unique constraint", "23505")))).isFalse();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("select", "SELECT",
                new SQLException("syntax error", "42601")))).isFalse();
        assertThat(DatabaseWatch.isOutage(null)).isFalse();
        // waiting for the database would not cure these: a timeout, a lock conflict, a full disk
        assertThat(DatabaseWatch.isOutage(new QueryTimeoutException("canceling statement due to statement timeout",
                new SQLException("canceling statement due to statement timeout", "57014")))).isFalse();
        assertThat(DatabaseWatch.isOutage(new OptimisticLockingFailureException("version 3 of step execution 7"))).isFalse();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("insert", "INSERT",
                new SQLException("could not extend file: No space left on device", "53100")))).isFalse();
        assertThat(DatabaseWatch.isOutage(new UncategorizedSQLException("update", "UPDATE",
                new SQLException("could not serialize access", "40001")))).isFalse();
    }
}
