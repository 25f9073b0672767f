package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The bundled latent model {@code models/shapes-ldm} (trained and exported by
 * {@code tools/shapes/train_ldm.py} / {@code tools/shapes/export_ldm.py}).
 */
class ShapesLdmModelTest extends BundledShapesModelTest {

    @Override
    Path model() {
        return Path.of("models", "shapes-ldm");
    }

    @Override
    int referenceCases() {
        return 6;
    }

    @Test
    void signaturesAreDynamicBatchSdLayout() throws OrtException {
        assertDims(session("text_encoder").getInputInfo(), "input_ids", -1, 20);
        assertDims(session("text_encoder").getOutputInfo(), "last_hidden_state", -1, 20, 128);
        assertDims(session("unet").getInputInfo(), "sample", -1, 4, 8, 8);
        assertDims(session("unet").getInputInfo(), "timestep", -1);
        assertDims(session("unet").getInputInfo(), "encoder_hidden_states", -1, 20, 128);
        assertDims(session("unet").getOutputInfo(), "out_sample", -1, 4, 8, 8);
        assertDims(session("vae_decoder").getInputInfo(), "latent_sample", -1, 4, 8, 8);
        assertDims(session("vae_decoder").getOutputInfo(), "sample", -1, 3, 32, 32);
    }

    @Test
    void theVaeDeclaresItsScalingFactor() throws Exception {
        JsonNode vae = JSON.readTree(model().resolve("vae_decoder").resolve("config.json").toFile());
        assertThat(vae.get("scaling_factor").asDouble()).isBetween(0.01, 100.0);
    }
}
