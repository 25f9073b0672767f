package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * The tiny ONNX model folders built by tools/make_test_models.py (and, under diffusers/, by
 * tools/make_diffusers_fixtures.py), and what the tests that compare against their references share.
 */
public final class TestModels {

    static final Path ROOT = Path.of("src/engine/src/test/resources/models");

    private TestModels() {
    }

    public static Path dir(String name) {
        return ROOT.resolve(name);
    }

    static Engine open(String name, int batch) {
        return Engine.open(dir(name), EngineOptions.cpu().withBatchSize(batch));
    }

    /** A copy of a test model folder at {@code to}, for tests that change a file of it. */
    public static Path copy(String name, Path to) throws IOException {
        Path src = dir(name);
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** max |a − b| divided by max |b|. */
    static double relativeError(float[] actual, JsonNode expected) {
        assertThat(actual).hasSize(expected.size());
        double worst = 0, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = expected.get(i).asDouble();
            worst = Math.max(worst, Math.abs(actual[i] - e));
            scale = Math.max(scale, Math.abs(e));
        }
        return worst / scale;
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}
