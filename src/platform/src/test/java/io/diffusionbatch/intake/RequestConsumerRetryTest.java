package io.diffusionbatch.intake;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;

import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which intake failures retry the same record and which refuse it. */
class RequestConsumerRetryTest {

    @Test
    void anUnreachableDatabaseIsRetriedEverythingElseIsRefused() {
        assertThat(RequestConsumer.isTransient(new CannotGetJdbcConnectionException("pool exhausted"))).isTrue();
        assertThat(RequestConsumer.isTransient(new CannotCreateTransactionException("down"))).isTrue();
        assertThat(RequestConsumer.isTransient(new IllegalStateException("wrapped",
                new SQLTransientConnectionException("connection reset")))).isTrue();
        assertThat(RequestConsumer.isTransient(new DataIntegrityViolationException("value too long"))).isFalse();
        assertThat(RequestConsumer.isTransient(new NullPointerException())).isFalse();
    }
}
