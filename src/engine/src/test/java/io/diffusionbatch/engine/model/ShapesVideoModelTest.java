package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The bundled text-to-video model {@code models/shapes-video} (trained and exported by
 * {@code tools/shapes/train_video.py} / {@code tools/shapes/export_video.py}): a 5-D UNet over
 * (batch, channels, frames, height, width) latents, decoded frame by frame by the shapes-ldm VAE.
 */
class ShapesVideoModelTest extends BundledShapesModelTest {

    @Override
    Path model() {
        return Path.of("models", "shapes-video");
    }

    @Override
    int referenceCases() {
        return 7;
    }

    @Override
    long sizeBudgetBytes() {
        return 8_000_000L;
    }

    @Test
    void signaturesAreDynamicBatchVideoLayout() throws OrtException {
        assertDims(session("text_encoder").getInputInfo(), "input_ids", -1, 20);
        assertDims(session("text_encoder").getOutputInfo(), "last_hidden_state", -1, 20, 128);
        assertDims(session("unet").getInputInfo(), "sample", -1, 4, 8, 8, 8);
        assertDims(session("unet").getInputInfo(), "timestep", -1);
        assertDims(session("unet").getInputInfo(), "encoder_hidden_states", -1, 20, 128);
        assertDims(session("unet").getOutputInfo(), "out_sample", -1, 4, 8, 8, 8);
        assertDims(session("vae_decoder").getInputInfo(), "latent_sample", -1, 4, 8, 8);
        assertDims(session("vae_decoder").getOutputInfo(), "sample", -1, 3, 32, 32);
    }

    @Test
    void theEngineReadsItAsAnEightFrameVideoModel() throws Exception {
        ModelFolder folder = ModelFolder.open(model());
        assertThat(folder.isConditional()).isTrue();
        assertThat(folder.isLatent()).isTrue();
        try (ModelNetworks nets = ModelNetworks.open(folder, new ExecutionDevice("cpu", 0, 1))) {
            UnetSignature sig = nets.unetSignature();
            assertThat(sig.isVideo()).isTrue();
            assertThat(sig.sample().dim(2)).as("frames fixed in the graph").isEqualTo(8);
            assertThat(sig.latentChannels()).isEqualTo(4);
            assertThat(sig.timestep().rank()).isEqualTo(1);
            assertThat(nets.sizeFactor()).isEqualTo(4);
        }
    }

    @Test
    void theVaeDeclaresTheSharedLatentSpacesScalingFactor() throws Exception {
        JsonNode vae = JSON.readTree(model().resolve("vae_decoder").resolve("config.json").toFile());
        assertThat(vae.get("scaling_factor").asDouble()).isBetween(0.01, 100.0);
    }
}
