package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The bundled pixel-space model {@code models/shapes-pixel} (trained and exported by
 * {@code tools/shapes/train_pixel.py} / {@code tools/shapes/export_pixel.py}): no VAE, the UNet
 * works on 3×32×32 pixels.
 */
class ShapesPixelModelTest extends BundledShapesModelTest {

    @Override
    Path model() {
        return Path.of("models", "shapes-pixel");
    }

    @Override
    int referenceCases() {
        return 4;
    }

    /** Weights stored in float16 (cast to float32 in the graph): the folder's budget is 6.5 MB. */
    @Override
    long sizeBudgetBytes() {
        return 6_500_000L;
    }

    @Test
    void weightsAreStoredInFloat16AndComputeInFloat32() throws Exception {
        for (String part : new String[] {"text_encoder", "unet"}) {
            byte[] onnx = java.nio.file.Files.readAllBytes(model().resolve(part).resolve("model.onnx"));
            String text = new String(onnx, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(text).as(part + ": float16 initializers with their Cast nodes").contains("_fp16", "_cast");
        }
        assertThat(((TensorInfo) session("unet").getInputInfo().get("sample").getInfo()).type)
                .isEqualTo(OnnxJavaType.FLOAT);
        assertThat(((TensorInfo) session("unet").getOutputInfo().get("out_sample").getInfo()).type)
                .isEqualTo(OnnxJavaType.FLOAT);
        assertThat(((TensorInfo) session("text_encoder").getOutputInfo().get("last_hidden_state").getInfo()).type)
                .isEqualTo(OnnxJavaType.FLOAT);
    }

    @Test
    void signaturesAreDynamicBatchSdLayout() throws OrtException {
        assertDims(session("text_encoder").getInputInfo(), "input_ids", -1, 20);
        assertDims(session("text_encoder").getOutputInfo(), "last_hidden_state", -1, 20, 128);
        assertDims(session("unet").getInputInfo(), "sample", -1, 3, 32, 32);
        assertDims(session("unet").getInputInfo(), "timestep", -1);
        assertDims(session("unet").getInputInfo(), "encoder_hidden_states", -1, 20, 128);
        assertDims(session("unet").getOutputInfo(), "out_sample", -1, 3, 32, 32);
    }

    @Test
    void hasNoVae() throws Exception {
        assertThat(model().resolve("vae_decoder")).doesNotExist();
        JsonNode index = JSON.readTree(model().resolve("model_index.json").toFile());
        assertThat(index.has("vae_decoder")).isFalse();
        assertThat(index.has("unet")).isTrue();
    }
}
