package io.diffusionbatch.engine;

import java.nio.file.Path;

/** The tiny ONNX model folders built by tools/make_test_models.py. */
final class TestModels {

    static final Path ROOT = Path.of("src/engine/src/test/resources/models");

    private TestModels() {
    }

    static Path dir(String name) {
        return ROOT.resolve(name);
    }

    static Engine open(String name, int batch) {
        return Engine.open(dir(name), EngineOptions.cpu().withBatchSize(batch));
    }
}
