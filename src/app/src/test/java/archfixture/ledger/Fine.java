package archfixture.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;

/** The ledger may use JDBC and hold SQL: no violation here. */
public class Fine {
    public long count(JdbcClient jdbc) {
        return jdbc.sql("SELECT count(*) FROM items").query(Long.class).single();
    }
}
