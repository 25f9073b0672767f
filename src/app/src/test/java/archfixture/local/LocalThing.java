package archfixture.local;

/** A local-services class of the fixtures. */
public class LocalThing {
    public String url() {
        return "jdbc:postgresql://localhost/x";
    }
}
