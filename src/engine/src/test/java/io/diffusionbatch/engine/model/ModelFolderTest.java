package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffusionbatch.engine.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

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
        Path dir = TestModels.copy("tiny-uncond", tmp.resolve("m"));
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
        Path dir = TestModels.copy("tiny-sd", tmp.resolve("m"));
        Files.delete(dir.resolve("unet/model.onnx"));
        assertThatThrownBy(() -> ModelFolder.open(dir)).isInstanceOf(EngineException.class)
                .hasMessageContaining("has no unet/model.onnx");
        Path dir2 = TestModels.copy("tiny-sd", tmp.resolve("n"));
        try (Stream<Path> files = Files.list(dir2.resolve("tokenizer"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir2.resolve("tokenizer"));
        assertThatThrownBy(() -> ModelFolder.open(dir2)).hasMessageContaining("has text_encoder/model.onnx but no tokenizer/");
        Path dir3 = TestModels.copy("tiny-sd", tmp.resolve("o"));
        Files.writeString(dir3.resolve("vae_decoder/config.json"), "{\"scaling_factor\": -1}");
        assertThatThrownBy(() -> ModelFolder.open(dir3)).hasMessageContaining("scaling_factor must be a positive number");
    }

    @Test
    void sizesFromConfigsAreAnIntegerOrAPairAndOtherFormsAreNamed(@TempDir Path dir) throws IOException {
        Path c = dir.resolve("config.json");
        Files.writeString(c, "{\"sample_size\": 96, \"pair\": [64, 48], \"bad\": [0, 3], \"text\": \"x\","
                + " \"blocks\": [128, 256, 512, 512], \"up\": true}");
        assertThat(ModelFolder.configSize(c, "sample_size")).containsExactly(96, 96);
        assertThat(ModelFolder.configSize(c, "pair")).containsExactly(64, 48);
        assertThat(ModelFolder.configSize(c, "absent")).isNull();
        assertThat(ModelFolder.configSize(dir.resolve("none.json"), "sample_size")).isNull();
        assertThatThrownBy(() -> ModelFolder.configSize(c, "bad")).hasMessageContaining("bad must be a positive integer");
        assertThatThrownBy(() -> ModelFolder.configSize(c, "text")).hasMessageContaining("text must be");
        assertThat(ModelFolder.configListLength(c, "blocks")).isEqualTo(4);
        assertThat(ModelFolder.configListLength(c, "up")).isEqualTo(-1);
        assertThat(ModelFolder.configFlag(c, "up", false)).isTrue();
        assertThat(ModelFolder.configFlag(c, "absent", true)).isTrue();
        assertThatThrownBy(() -> ModelFolder.configFlag(c, "text", false)).hasMessageContaining("text must be true or false");
    }

    @Test
    void aSecondTextEncoderNeedsItsTokenizerAndTheFirstEncoder(@TempDir Path dir) throws IOException {
        Path m = TestModels.copy("tiny-sd", dir.resolve("m"));
        Files.createDirectories(m.resolve("text_encoder_2"));
        Files.copy(m.resolve("text_encoder/model.onnx"), m.resolve("text_encoder_2/model.onnx"));
        assertThatThrownBy(() -> ModelFolder.open(m)).hasMessageContaining("text_encoder_2/model.onnx but no tokenizer_2/");
        Files.createDirectories(m.resolve("tokenizer_2"));
        ModelFolder xl = ModelFolder.open(m);
        assertThat(xl.isXl()).isTrue();
        assertThat(xl.forceZerosForEmptyPrompt()).isTrue(); // the SDXL pipeline's default
        Files.writeString(m.resolve("model_index.json"), "{\"force_zeros_for_empty_prompt\": false}");
        assertThat(ModelFolder.open(m).forceZerosForEmptyPrompt()).isFalse();
        Files.delete(m.resolve("text_encoder/model.onnx"));
        assertThatThrownBy(() -> ModelFolder.open(m)).hasMessageContaining("text_encoder_2/model.onnx but no text_encoder");
        assertThat(ModelFolder.open(Path.of("src/engine/src/test/resources/models/tiny-sd")).forceZerosForEmptyPrompt())
                .isFalse();
    }
}
