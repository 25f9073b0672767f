package io.diffusionbatch.job;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** What a step does once its transaction has committed (events, meters): never for work rolled back. */
final class Transactions {

    private Transactions() {
    }

    /** Runs {@code action} after the current transaction commits, or now when there is none. */
    static void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }
}
