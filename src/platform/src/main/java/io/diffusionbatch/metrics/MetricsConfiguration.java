package io.diffusionbatch.metrics;

import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.platform.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The meters, the model catalog's readiness contributor and the models' info (Kafka's is intake's). */
@Configuration(proxyBeanMethods = false)
public class MetricsConfiguration {

    @Bean
    PlatformMetrics platformMetrics(MeterRegistry registry, ItemStore items, RequestStore requests,
                                    EventOutbox outbox, PartitionStore partitions) {
        return new PlatformMetrics(registry, items::countPendingOfLiveRuns, requests::countWaiting,
                () -> outbox.backlog().records(), partitions::count);
    }

    @Bean
    DatabaseHealthIndicator dbHealthIndicator(DatabaseWatch watch) {
        return new DatabaseHealthIndicator(watch);
    }

    @Bean
    ModelCatalogHealthIndicator modelCatalogHealthIndicator(ModelRegistry models) {
        return new ModelCatalogHealthIndicator(models);
    }

    @Bean
    ModelsInfoContributor modelsInfoContributor(ModelRegistry models) {
        return new ModelsInfoContributor(models);
    }
}
