package io.diffusionbatch.ledger;

/** Escaping for PostgreSQL's COPY text format (tab-separated, {@code \N} for null). */
final class CopyText {

    private CopyText() {
    }

    static void field(StringBuilder row, String value) {
        if (value == null) {
            row.append("\\N");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> row.append("\\\\");
                case '\n' -> row.append("\\n");
                case '\r' -> row.append("\\r");
                case '\t' -> row.append("\\t");
                default -> row.append(c);
            }
        }
    }
}
