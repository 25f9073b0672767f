package archfixture.local;

import archfixture.ledger.Fine;

/** Planted violation: the local services reaching into the platform. */
public class LocalUsesLedger {
    public Object store() {
        return new Fine();
    }
}
