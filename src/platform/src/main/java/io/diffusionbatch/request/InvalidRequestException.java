package io.diffusionbatch.request;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A request that breaks one or more rules of the contract. Carries every violation found (not only the first),
 * and the request's {@code requestId} when that much could be read, so that a consumer can record the rejection
 * against the client's key. Immutable once made; safe to share between threads.
 */
public class InvalidRequestException extends Exception {

    private static final long serialVersionUID = 1L;
    private static final int MESSAGE_VIOLATIONS = 20;

    private final transient List<Violation> violations;
    private final String requestId;

    /**
     * @param violations at least one; copied
     * @param requestId  the request's id when it was readable and valid, else null
     */
    public InvalidRequestException(List<Violation> violations, String requestId) {
        super(message(violations));
        this.violations = List.copyOf(violations);
        this.requestId = requestId;
    }

    public InvalidRequestException(Violation violation) {
        this(List.of(violation), null);
    }

    /** The violation the ledger/intake raises for a {@code requestId} it has already accepted. */
    public static InvalidRequestException duplicateRequestId(String requestId) {
        return new InvalidRequestException(List.of(new Violation("requestId", Violation.Rules.DUPLICATE_REQUEST_ID,
                "requestId '" + requestId + "' was already submitted; a requestId is an idempotency key and is"
                        + " accepted once")), requestId);
    }

    /** Every violation found, in document order where practical; never empty. */
    public List<Violation> violations() {
        return violations;
    }

    /** The request's id when it could be read and was valid, else null. */
    public String requestId() {
        return requestId;
    }

    private static String message(List<Violation> violations) {
        Objects.requireNonNull(violations, "violations");
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("violations: at least one is needed");
        }
        String head = violations.stream().limit(MESSAGE_VIOLATIONS).map(Violation::toString)
                .collect(Collectors.joining("; "));
        int more = violations.size() - MESSAGE_VIOLATIONS;
        return "invalid request (" + violations.size() + " violation" + (violations.size() == 1 ? "" : "s") + "): "
                + head + (more > 0 ? "; and " + more + " more" : "");
    }
}
