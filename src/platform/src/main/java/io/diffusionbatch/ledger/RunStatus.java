package io.diffusionbatch.ledger;

import java.util.Locale;

/**
 * The status of a run (a request), as {@code requests.status} keeps it. A run moves
 * {@code ACCEPTED → RUNNING → COMPLETED | FAILED}, or, when cancelled,
 * {@code ACCEPTED → CANCELLED} or {@code RUNNING → CANCELLING → CANCELLED}; {@code retry} takes a run
 * {@code FAILED → ACCEPTED} again.
 * {@link #toString()} is the stored (and printed) name, e.g. {@code running}.
 */
public enum RunStatus {
    ACCEPTED, RUNNING, COMPLETED, FAILED, CANCELLING, CANCELLED;

    private final String sql = name().toLowerCase(Locale.ROOT);

    /** Whether the run has ended (completed, failed or cancelled); nothing more will happen to it. */
    public boolean isFinished() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /** The stored name, e.g. {@code running}. */
    public String sql() {
        return sql;
    }

    /**
     * The status of a stored name.
     *
     * @throws IllegalArgumentException for a name the ledger's check constraint would refuse
     */
    public static RunStatus of(String sql) {
        for (RunStatus s : values()) {
            if (s.sql.equals(sql)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not a run status: '" + sql + "'");
    }

    @Override
    public String toString() {
        return sql;
    }
}
