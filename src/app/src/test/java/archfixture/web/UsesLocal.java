package archfixture.web;

import archfixture.local.LocalThing;

/** Planted violation: the platform reaching into the local services. */
public class UsesLocal {
    public String where() {
        return new LocalThing().url();
    }
}
