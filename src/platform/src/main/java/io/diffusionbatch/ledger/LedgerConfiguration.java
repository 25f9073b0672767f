package io.diffusionbatch.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;

/**
 * Checks the application's data source once as it is made ({@link DatabaseProbe}: one line within
 * seconds when the database is unreachable or refuses the login, before the pool and Flyway try),
 * and wraps it so that it fails fast while the database is away ({@link FailFastDataSource}).
 */
@Configuration(proxyBeanMethods = false)
public class LedgerConfiguration {

    @Bean
    static BeanPostProcessor failFastDataSource(ObjectProvider<DatabaseWatch> watch) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (!(bean instanceof DataSource ds) || bean instanceof FailFastDataSource || !name.equals("dataSource")) {
                    return bean;
                }
                if (ds instanceof HikariDataSource h && h.getJdbcUrl() != null) {
                    DatabaseProbe.check(h.getJdbcUrl(), h.getUsername(), h.getPassword(), h.getDataSourceProperties());
                }
                return new FailFastDataSource(ds, watch);
            }
        };
    }
}
