package io.diffusionbatch.job;

import java.util.Locale;

/**
 * The lifecycle events of a run, as they appear in the {@code type} field of the events topic
 * and in {@code request_events.type} ({@link #wireName()}, e.g. {@code completed}). Every type but
 * {@link #PROGRESS} is stored in the ledger; {@link #REJECTED} belongs to no run.
 */
public enum EventType {
    /** stored in the ledger; items and priority in the detail */
    ACCEPTED,
    /** refused input: published on the events topic, recorded in {@code rejected_inputs} */
    REJECTED,
    /** a request id seen before; the detail names the existing run */
    DUPLICATE,
    /** the job expanded the items and began generating */
    STARTED,
    /** items finished so far (throttled; not stored) */
    PROGRESS,
    COMPLETED,
    FAILED,
    CANCELLED,
    /** an interrupted run restarted from its unfinished items */
    RESUMED,
    /** cluster mode: a partition whose worker died (its lease ran out) was queued again for another worker */
    REDISPATCHED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The name on the events topic and in the ledger, e.g. {@code completed}. */
    public String wireName() {
        return wire;
    }

    /** Whether a run ends with this event. */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /**
     * The type of a wire name.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static EventType of(String wire) {
        for (EventType t : values()) {
            if (t.wire.equals(wire)) {
                return t;
            }
        }
        throw new IllegalArgumentException("not an event type: '" + wire + "'");
    }

    @Override
    public String toString() {
        return wire;
    }
}
