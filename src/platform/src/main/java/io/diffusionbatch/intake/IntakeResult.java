package io.diffusionbatch.intake;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.request.Violation;

import java.util.List;

/**
 * What intake did with one input.
 *
 * @param outcome    accepted (a new run), duplicate (an existing run with that request id) or rejected
 * @param run        the run, null when rejected
 * @param violations why it was rejected; empty otherwise
 * @param rejectionId the rejected-inputs row, or 0
 */
public record IntakeResult(Outcome outcome, RequestRow run, List<Violation> violations, long rejectionId) {

    public enum Outcome { ACCEPTED, DUPLICATE, REJECTED }

    public IntakeResult {
        violations = List.copyOf(violations);
    }
}
