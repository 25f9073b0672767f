package io.diffusionbatch.ledger;

import java.util.Locale;

/**
 * The status of a work item, as {@code items.status} keeps it: {@code PENDING} until its output,
 * statistics and status commit together ({@code DONE}), or it fails for good ({@code FAILED}), or
 * its run is cancelled first ({@code CANCELLED}). {@link #toString()} is the stored name.
 */
public enum ItemStatus {
    PENDING, DONE, FAILED, CANCELLED;

    private final String sql = name().toLowerCase(Locale.ROOT);

    /** The stored name, e.g. {@code done}. */
    public String sql() {
        return sql;
    }

    /**
     * The status of a stored name.
     *
     * @throws IllegalArgumentException for a name the ledger's check constraint would refuse
     */
    public static ItemStatus of(String sql) {
        for (ItemStatus s : values()) {
            if (s.sql.equals(sql)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not an item status: '" + sql + "'");
    }

    @Override
    public String toString() {
        return sql;
    }
}
