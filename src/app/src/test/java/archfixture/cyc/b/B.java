package archfixture.cyc.b;

import archfixture.cyc.a.A;

/** Planted violation: b → a → b. */
public class B {
    public Class<A> a() {
        return A.class;
    }
}
