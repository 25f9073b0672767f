package io.diffusionbatch.request;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Copies label maps into the immutable, key-sorted form the records hold. */
final class Labels {

    private Labels() {
    }

    static Map<String, String> copy(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        labels.forEach((k, v) -> sorted.put(java.util.Objects.requireNonNull(k, "label key"),
                java.util.Objects.requireNonNull(v, "label value")));
        return Collections.unmodifiableMap(sorted);
    }
}
