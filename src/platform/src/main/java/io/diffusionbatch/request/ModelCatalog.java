package io.diffusionbatch.request;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models requests may name. Implementations must be thread-safe for reading; {@link #of} is immutable.
 */
public interface ModelCatalog {

    /** The model of that name, or empty (also for a null name). */
    Optional<CatalogModel> find(String name);

    /** Every model name, in a stable order (used in "unknown model" messages). */
    List<String> names();

    /** An immutable catalog of these models, in this order; names must be unique. */
    static ModelCatalog of(List<CatalogModel> models) {
        Map<String, CatalogModel> byName = new LinkedHashMap<>();
        for (CatalogModel m : models) {
            if (byName.put(m.name(), m) != null) {
                throw new IllegalArgumentException("models: duplicate name '" + m.name() + "'");
            }
        }
        List<String> names = List.copyOf(new ArrayList<>(byName.keySet()));
        return new ModelCatalog() {
            @Override
            public Optional<CatalogModel> find(String name) {
                return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name));
            }

            @Override
            public List<String> names() {
                return names;
            }

            @Override
            public String toString() {
                return "ModelCatalog" + names;
            }
        };
    }
}
