package io.diffusionbatch.ledger;

/**
 * An item's address: run id and index, written {@code RUN/INDEX} (e.g. {@code 12/407}).
 */
public record ItemRef(long run, long index) {

    /**
     * @throws IllegalArgumentException naming the rule when {@code text} is not {@code RUN/INDEX}
     */
    public static ItemRef parse(String text) {
        String[] p = text == null ? new String[0] : text.trim().split("/");
        try {
            if (p.length == 2) {
                long run = Long.parseLong(p[0]);
                long index = Long.parseLong(p[1]);
                if (run > 0 && index >= 0) {
                    return new ItemRef(run, index);
                }
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("ITEM: must be RUN/INDEX with a run id > 0 and an index >= 0, e.g. 3/17; was '"
                + text + "'");
    }

    @Override
    public String toString() {
        return run + "/" + index;
    }
}
