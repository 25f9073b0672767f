package io.diffusionbatch.ledger;

import org.springframework.dao.TransientDataAccessResourceException;

/**
 * The database stayed unreachable for longer than a caller was willing to wait
 * ({@link DatabaseWatch#retrying}); an {@linkplain DatabaseWatch#isOutage outage}, so whoever
 * catches it may wait for the database and try the whole piece of work again.
 */
public class DatabaseUnavailableException extends TransientDataAccessResourceException {

    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
