package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

    private static Path copyOf(String name, Path dir) throws IOException {
        Path src = Path.of("src/engine/src/test/resources/models", name);
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : walk.toList()) {
                Path t = dir.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return dir;
    }

    @Test
    void readsTheLayout() {
        ModelFolder sd = ModelFolder.open(Path.of("src/engine/src/test/resources/models/tiny-sd"));
        assertThat(sd.name()).isEqualTo("tiny-sd");
        assertThat(sd.isLatent()).isTrue();
        assertThat(sd.isConditional()).isTrue();
        assertThat(sd.vaeScalingFactor()).isEqualTo(0.18215);
        ModelFolder pixel = ModelFolder.open(Path.of("src/engine/src/test/resources/models/analytic-gaussian"));
        assertThat(pixel.isLatent()).isFalse();
        assertThat(pixel.isConditional()).isFalse();
        assertThat(pixel.tokenizer()).isNull();
    }

    @Test
    void theHashCoversEveryFileButHiddenOnes(@TempDir Path tmp) throws IOException {
        Path dir = copyOf("tiny-uncond", tmp.resolve("m"));
        String before = ModelFolder.open(dir).sha256();
        assertThat(before).matches("[0-9a-f]{64}");
        assertThat(ModelFolder.open(dir).sha256()).isEqualTo(before);
        Files.writeString(dir.resolve(".DS_Store"), "noise");
        assertThat(ModelFolder.open(dir).sha256()).isEqualTo(before);
        Path config = dir.resolve("scheduler/scheduler_config.json");
        Files.writeString(config, Files.readString(config) + " ");
        assertThat(ModelFolder.open(dir).sha256()).isNotEqualTo(before);
    }

    @Test
    void missingPartsAreNamed(@TempDir Path tmp) throws IOException {
        Path dir = copyOf("tiny-sd", tmp.resolve("m"));
        Files.delete(dir.resolve("unet/model.onnx"));
        assertThatThrownBy(() -> ModelFolder.open(dir)).isInstanceOf(EngineException.class)
                .hasMessageContaining("has no unet/model.onnx");
        Path dir2 = copyOf("tiny-sd", tmp.resolve("n"));
        try (Stream<Path> files = Files.list(dir2.resolve("tokenizer"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir2.resolve("tokenizer"));
        assertThatThrownBy(() -> ModelFolder.open(dir2)).hasMessageContaining("has text_encoder/model.onnx but no tokenizer/");
        Path dir3 = copyOf("tiny-sd", tmp.resolve("o"));
        Files.writeString(dir3.resolve("vae_decoder/config.json"), "{\"scaling_factor\": -1}");
        assertThatThrownBy(() -> ModelFolder.open(dir3)).hasMessageContaining("scaling_factor must be a positive number");
    }
}
