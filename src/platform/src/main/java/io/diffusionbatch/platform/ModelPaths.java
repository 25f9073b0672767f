package io.diffusionbatch.platform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the catalog's relative model and evaluator folders are: under the working directory when
 * they exist there (as always), else under the distribution's folder ({@code diffusion.home}, the
 * folder whose {@code config/} the catalog came from), so that the bundled catalog works from any
 * working directory. Absolute paths are kept. Stateless.
 */
final class ModelPaths {

    private ModelPaths() {
    }

    /**
     * @param models the catalog as configured; null = empty
     * @param home   the distribution's folder, or null when unknown
     * @return the catalog with each relative path resolved as above (unchanged when neither holds it)
     */
    static Map<String, DiffusionProperties.Model> resolve(Map<String, DiffusionProperties.Model> models, String home) {
        Map<String, DiffusionProperties.Model> out = new LinkedHashMap<>();
        if (models == null) {
            return out;
        }
        models.forEach((name, m) -> out.put(name, m == null ? null
                : new DiffusionProperties.Model(path(m.path(), home), m.kind(), path(m.evaluator(), home))));
        return out;
    }

    static Path path(Path p, String home) {
        if (p == null || p.isAbsolute() || Files.exists(p) || home == null) {
            return p;
        }
        Path there = Path.of(home).resolve(p).normalize();
        return Files.exists(there) ? there : p;
    }
}
