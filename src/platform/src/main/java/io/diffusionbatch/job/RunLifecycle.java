package io.diffusionbatch.job;

import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Ends and cancels runs together with their events: the status change and its event commit in one
 * transaction (joining the caller's when there is one), and only the call that actually ended a
 * run writes its terminal event, so a run has exactly one terminal event however many instances
 * or threads try to end it. Thread-safe.
 */
@Component
public class RunLifecycle {

    private final RequestStore requests;
    private final RunEvents events;
    private final TransactionTemplate transactions;
    private final ServerInstance instance;

    public RunLifecycle(RequestStore requests, RunEvents events, PlatformTransactionManager tm,
                        ServerInstance instance) {
        this.instance = instance;
        this.requests = requests;
        this.events = events;
        this.transactions = new TransactionTemplate(tm);
    }

    /**
     * Ends a run that has not ended yet and that this instance owns (or nobody does) with
     * {@code status}, and writes its terminal event. An instance whose lease ran out and was taken
     * over cannot end the run under its new owner.
     *
     * @param message the run's message (null for none); a failure's reason goes into the event too
     * @param detail  the event's detail (figures of the run); never null
     * @return whether this call ended it (false: it had ended already or belongs to another instance,
     *         and no event was written)
     */
    public boolean finish(long requestId, RunStatus status, String message, Map<String, Object> detail) {
        return Boolean.TRUE.equals(transactions.execute(s -> {
            if (!requests.markFinished(requestId, status, message, instance.id())) {
                return false;
            }
            Map<String, Object> d = detail;
            if (message != null && !detail.containsKey("reason") && status == RunStatus.FAILED) {
                d = new LinkedHashMap<>(detail);
                d.put("reason", message);
            }
            events.publish(requestId, EventType.of(status.sql()), d);
            return true;
        }));
    }

    /**
     * Asks a run to stop: one that has not started is cancelled at once (with its {@code cancelled}
     * event), a running one moves to {@code cancelling} and its job ends it.
     *
     * @return the status after the call, or empty when there is no such run
     */
    public Optional<RunStatus> cancel(long requestId) {
        return transactions.execute(s -> {
            if (requests.cancelWaiting(requestId)) {
                events.publish(requestId, EventType.CANCELLED, Map.of("reason", RequestStore.CANCELLED_WAITING));
                return Optional.of(RunStatus.CANCELLED);
            }
            return requests.requestCancel(requestId);
        });
    }
}
