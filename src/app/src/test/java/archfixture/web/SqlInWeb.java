package archfixture.web;

import org.springframework.jdbc.core.simple.JdbcClient;

/** Planted violation: a web class with its own SQL. */
public class SqlInWeb {
    static final String TOUCH = "UPDATE requests SET status = 'failed' WHERE id = ?";

    public long runs(JdbcClient jdbc) {
        return jdbc.sql("""
                SELECT id FROM requests ORDER BY id""").query(Long.class).list().size();
    }
}
