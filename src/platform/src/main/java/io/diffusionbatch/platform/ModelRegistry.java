package io.diffusionbatch.platform;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.ModelCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model catalog of the configuration ({@code diffusion.models}) and one open {@link Engine}
 * per model, opened on first use and shared by every partition of this process. A model whose
 * folder cannot be opened is reported (logged) and treated as absent. Thread-safe.
 */
public final class ModelRegistry implements ModelCatalog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, DiffusionProperties.Model> entries;
    private final EngineOptions options;
    private final Map<String, Engine> engines = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    public ModelRegistry(Map<String, DiffusionProperties.Model> entries, EngineOptions options) {
        this.entries = new TreeMap<>(entries == null ? Map.of() : entries);
        this.options = options;
    }

    @Override
    public Optional<CatalogModel> find(String name) {
        DiffusionProperties.Model m = name == null ? null : entries.get(name);
        if (m == null) {
            return Optional.empty();
        }
        return engineIfOpenable(name).map(e -> new CatalogModel(name, m.kind(), m.path().toAbsolutePath().normalize(),
                e.nativeWidth(), e.nativeHeight(), e.nativeFrames(), e.defaultParams(), e.geometry()));
    }

    /** The evaluator folder configured for a catalog model, if any. */
    public Optional<java.nio.file.Path> evaluator(String name) {
        DiffusionProperties.Model m = name == null ? null : entries.get(name);
        return m == null || m.evaluator() == null ? Optional.empty() : Optional.of(m.evaluator().toAbsolutePath().normalize());
    }

    @Override
    public List<String> names() {
        List<String> names = new ArrayList<>();
        for (String n : entries.keySet()) {
            if (engineIfOpenable(n).isPresent()) {
                names.add(n);
            }
        }
        return names;
    }

    /**
     * The engine of a catalog model.
     *
     * @throws IllegalArgumentException when the name is not in the catalog or its folder cannot be opened
     */
    public Engine engine(String name) {
        return engineIfOpenable(name).orElseThrow(() -> new IllegalArgumentException("model: '" + name
                + "' is not usable: " + failures.getOrDefault(name, "not in the catalog " + entries.keySet())));
    }

    private Optional<Engine> engineIfOpenable(String name) {
        if (failures.containsKey(name) || !entries.containsKey(name)) {
            return Optional.empty();
        }
        try {
            return Optional.of(engines.computeIfAbsent(name, n -> Engine.open(entries.get(n).path(), options)));
        } catch (RuntimeException e) {
            failures.put(name, e.getMessage());
            LOG.warn("model {} at {} cannot be opened: {}", name, entries.get(name).path(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Every catalog model, opening those not opened yet: name → null when usable, else why not.
     * In name order.
     */
    public Map<String, String> problems() {
        Map<String, String> out = new TreeMap<>();
        for (String n : entries.keySet()) {
            out.put(n, engineIfOpenable(n).isPresent() ? null : failures.get(n));
        }
        return out;
    }

    /** The folder and kind of every catalog model, in name order (whether or not it opens). */
    public Map<String, DiffusionProperties.Model> entries() {
        return java.util.Collections.unmodifiableMap(entries);
    }

    @Override
    public void close() {
        engines.values().forEach(Engine::close);
        engines.clear();
    }
}
