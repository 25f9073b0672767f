package io.diffusionbatch.metrics;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.ModelRegistry;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /actuator/info}'s {@code models}: each catalog model's kind, folder, SHA-256 (the hash
 * every output's provenance records) and evaluator, or why it cannot be opened. Thread-safe.
 */
public class ModelsInfoContributor implements InfoContributor {

    private final ModelRegistry models;

    public ModelsInfoContributor(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public void contribute(Info.Builder builder) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, String> problems = models.problems();
        models.entries().forEach((name, m) -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("kind", m.kind());
            one.put("path", m.path().toAbsolutePath().normalize().toString());
            if (problems.get(name) == null) {
                Engine e = models.engine(name);
                one.put("sha256", e.identity().sha256());
                one.put("engineVersion", e.identity().engineVersion());
            } else {
                one.put("error", problems.get(name));
            }
            if (m.evaluator() != null) {
                one.put("evaluator", m.evaluator().toAbsolutePath().normalize().toString());
            }
            out.put(name, one);
        });
        builder.withDetail("models", out);
    }
}
