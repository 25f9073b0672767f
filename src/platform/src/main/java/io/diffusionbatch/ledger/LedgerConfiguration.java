package io.diffusionbatch.ledger;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;

/** Wraps the application's data source so that it fails fast while the database is away ({@link FailFastDataSource}). */
@Configuration(proxyBeanMethods = false)
public class LedgerConfiguration {

    @Bean
    static BeanPostProcessor failFastDataSource(ObjectProvider<DatabaseWatch> watch) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                return bean instanceof DataSource ds && !(bean instanceof FailFastDataSource)
                        && name.equals("dataSource") ? new FailFastDataSource(ds, watch) : bean;
            }
        };
    }
}
