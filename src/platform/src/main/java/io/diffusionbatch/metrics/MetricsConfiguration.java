package io.diffusionbatch.metrics;

import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The meters, the readiness contributors ({@code kafka}, {@code modelCatalog}) and the models' info. */
@Configuration(proxyBeanMethods = false)
public class MetricsConfiguration {

    @Bean
    PlatformMetrics platformMetrics(MeterRegistry registry, ItemStore items, RequestStore requests) {
        return new PlatformMetrics(registry, items::countPendingOfLiveRuns, requests::countWaiting);
    }

    @Bean
    KafkaHealthIndicator kafkaHealthIndicator(DiffusionProperties props) {
        return new KafkaHealthIndicator(props.kafka());
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
