package io.diffusionbatch.job;

import io.diffusionbatch.quality.ShapesEvaluator;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opened evaluators by folder, kept for the life of the server and closed with it. Thread-safe.
 */
@Component
public class Evaluators implements AutoCloseable {

    private final Map<Path, ShapesEvaluator> open = new ConcurrentHashMap<>();

    /**
     * The evaluator of a folder, opened on first use.
     *
     * @throws IllegalArgumentException naming the folder when it is not an evaluator
     */
    public ShapesEvaluator get(Path folder) {
        return open.computeIfAbsent(folder.toAbsolutePath().normalize(), ShapesEvaluator::open);
    }

    @Override
    public void close() {
        open.values().forEach(ShapesEvaluator::close);
        open.clear();
    }
}
