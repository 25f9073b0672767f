package archfixture.cyc.a;

import archfixture.cyc.b.B;

/** Planted violation: a → b → a. */
public class A {
    public B b() {
        return new B();
    }
}
