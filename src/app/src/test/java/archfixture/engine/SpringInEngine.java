package archfixture.engine;

import org.springframework.jdbc.core.simple.JdbcClient;

/** Planted violation: an engine class that reaches for JDBC through Spring. */
public class SpringInEngine {
    public int count(JdbcClient jdbc) {
        return jdbc.sql("SELECT 1").query(Integer.class).single();
    }
}
