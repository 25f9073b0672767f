package io.diffusionbatch.dataset;

import io.diffusionbatch.request.Violation;

import java.util.List;
import java.util.stream.Collectors;

/** A dataset spec that breaks the rules of docs/DATASETS.md: every violation found, each naming its field and rule. */
public class InvalidSpecException extends Exception {

    private final transient List<Violation> violations;

    /** @param violations at least one; never null */
    public InvalidSpecException(List<Violation> violations) {
        super(violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.violations = List.copyOf(violations);
    }

    /** The violations, in the order found; never empty. */
    public List<Violation> violations() {
        return violations;
    }
}
