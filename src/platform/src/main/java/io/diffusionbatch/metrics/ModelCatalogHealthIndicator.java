package io.diffusionbatch.metrics;

import io.diffusionbatch.platform.ModelRegistry;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Readiness of the model catalog: UP when every configured model opens (its ONNX Runtime
 * sessions are made on the first check, so a pod is ready only once its models are loaded), DOWN
 * with each unusable model and why, or when the catalog is empty. Thread-safe.
 */
public class ModelCatalogHealthIndicator extends AbstractHealthIndicator {

    private final ModelRegistry models;

    public ModelCatalogHealthIndicator(ModelRegistry models) {
        super("the model catalog cannot be checked");
        this.models = models;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, String> problems = models.problems();
        Map<String, Object> details = new LinkedHashMap<>();
        problems.forEach((name, why) -> details.put(name, why == null ? "ok" : why));
        boolean ok = !problems.isEmpty() && problems.values().stream().allMatch(p -> p == null);
        (ok ? builder.up() : builder.down()).withDetails(details);
        if (problems.isEmpty()) {
            builder.withDetail("catalog", "empty: no model under diffusion.models");
        }
    }
}
