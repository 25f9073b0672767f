package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.SamplingParams;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The bundled few-step model {@code models/shapes-lcm}: a latent consistency model distilled from
 * {@code models/shapes-ldm} ({@code tools/shapes/train_lcm.py} / {@code tools/shapes/export_lcm.py}). Its UNet
 * stores its weights in float16 (Cast to float inside the graph); its text encoder, tokenizer and VAE decoder
 * are file-level symbolic links to shapes-ldm's files.
 */
class ShapesLcmModelTest extends BundledShapesModelTest {

    private static final List<String> LINKED = List.of("text_encoder/model.onnx", "tokenizer/vocab.txt",
            "tokenizer/tokenizer_config.json", "vae_decoder/model.onnx", "vae_decoder/config.json");

    @Override
    Path model() {
        return Path.of("models", "shapes-lcm");
    }

    @Override
    int referenceCases() {
        return 4;
    }

    @Override
    long sizeBudgetBytes() {
        return 10_000_000L;
    }

    @Override
    String schedulerClass() {
        return "LCMScheduler";
    }

    @Test
    void signaturesAreShapesLdmsFloat32Interface() throws OrtException {
        assertDims(session("text_encoder").getInputInfo(), "input_ids", -1, 20);
        assertDims(session("unet").getInputInfo(), "sample", -1, 4, 8, 8);
        assertDims(session("unet").getInputInfo(), "timestep", -1);
        assertDims(session("unet").getInputInfo(), "encoder_hidden_states", -1, 20, 128);
        assertDims(session("unet").getOutputInfo(), "out_sample", -1, 4, 8, 8);
        assertDims(session("vae_decoder").getInputInfo(), "latent_sample", -1, 4, 8, 8);
        for (var info : List.of(session("unet").getInputInfo(), session("unet").getOutputInfo())) {
            for (var e : info.entrySet()) {
                assertThat(((TensorInfo) e.getValue().getInfo()).type).as(e.getKey())
                        .isEqualTo(OnnxJavaType.FLOAT);
            }
        }
    }

    @Test
    void unetStoresItsWeightsInFloat16() throws Exception {
        // 2.64 M parameters: float32 storage would need > 10.5 MB, float16 needs ~5.3 MB
        long bytes = Files.size(model().resolve("unet").resolve("model.onnx"));
        assertThat(bytes).isBetween(5_000_000L, 6_000_000L);
        byte[] graph = Files.readAllBytes(model().resolve("unet").resolve("model.onnx"));
        assertThat(new String(graph, StandardCharsets.ISO_8859_1)).contains("__fp16").contains("Cast");
    }

    @Test
    void sharedFilesAreRelativeLinksToShapesLdmAndCountInTheFolderHash() throws Exception {
        Path ldm = Path.of("models", "shapes-ldm");
        for (String f : LINKED) {
            Path link = model().resolve(f);
            assertThat(Files.isSymbolicLink(link)).as(f).isTrue();
            assertThat(Files.readSymbolicLink(link).isAbsolute()).as(f).isFalse();
            assertThat(Files.isRegularFile(link)).as(f).isTrue();
            assertThat(Files.mismatch(link, ldm.resolve(f))).as(f).isEqualTo(-1L);
        }
        // the folder hash, recomputed here by its documented recipe, covers the linked files' contents
        List<String> rels;
        try (Stream<Path> walk = Files.walk(model())) {
            rels = walk.filter(Files::isRegularFile).map(p -> model().relativize(p).toString().replace('\\', '/'))
                    .filter(r -> !r.startsWith(".") && !r.contains("/.")).sorted().toList();
        }
        assertThat(rels).containsAll(LINKED).contains("unet/model.onnx", "scheduler/scheduler_config.json");
        MessageDigest folder = MessageDigest.getInstance("SHA-256");
        for (String r : rels) {
            folder.update(r.getBytes(StandardCharsets.UTF_8));
            folder.update((byte) 0);
            folder.update(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(model().resolve(r))));
        }
        assertThat(ModelFolder.open(model()).sha256()).isEqualTo(HexFormat.of().formatHex(folder.digest()));
    }

    @Test
    void schedulerDeclaresTheDistillationsSkippingSchedule() throws Exception {
        JsonNode sched = JSON.readTree(model().resolve("scheduler").resolve("scheduler_config.json").toFile());
        assertThat(sched.get("original_inference_steps").asInt()).isEqualTo(50);
        assertThat(sched.get("timestep_scaling").asDouble()).isEqualTo(10.0);
        assertThat(sched.get("num_train_timesteps").asInt()).isEqualTo(1000);
        JsonNode index = JSON.readTree(model().resolve("model_index.json").toFile());
        assertThat(index.get("scheduler").get(1).asString()).isEqualTo("LCMScheduler");
    }

    @Test
    void engineDefaultsToFourLcmStepsWithoutGuidance() {
        try (Engine engine = Engine.open(model(), EngineOptions.cpu())) {
            SamplingParams d = engine.defaultParams();
            assertThat(d.sampler()).isEqualTo("lcm");
            assertThat(d.steps()).isEqualTo(4);
            assertThat(d.guidance()).isEqualTo(1.0);
            assertThat(d.usesGuidance()).as("no unconditional pass: NFE = steps").isFalse();
            assertThat(engine.violations(d)).isEmpty();
        }
        try (Engine teacher = Engine.open(Path.of("models", "shapes-ldm"), EngineOptions.cpu())) {
            assertThat(teacher.defaultParams().sampler()).isEqualTo("dpmpp-2m");
            assertThat(teacher.defaultParams().guidance()).isEqualTo(7.5);
        }
    }

    @Test
    void float16WeightsAreWhatTheReferenceWasComputedWith() throws Exception {
        // the UNet of the float16-rounded weights differs from none of its cases by more than float32 noise; a
        // float32 reference of the unrounded weights misses this case by 5.8e-4 (step-1,800 weights; 5.4e-4 at step 97)
        OrtSession s = session("unet");
        JsonNode c = JSON.readTree(model().resolve("reference.json").toFile()).get("cases").get(2);
        assertThat(c.get("component").asString()).isEqualTo("unet");
        var env = OrtEnvironment.getEnvironment();
        try (OnnxTensor x = tensor(env, c.get("inputs").get("sample"));
             OnnxTensor t = tensor(env, c.get("inputs").get("timestep"));
             OnnxTensor h = tensor(env, c.get("inputs").get("encoder_hidden_states"));
             OrtSession.Result r = s.run(Map.of("sample", x, "timestep", t, "encoder_hidden_states", h))) {
            float[] got = flat(((OnnxTensor) r.get(0)).getFloatBuffer());
            JsonNode want = c.get("outputs").get("out_sample").get("data");
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want.get(i).asDouble()));
            }
            assertThat(worst).isLessThan(5e-5);
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, JsonNode j) throws OrtException {
        long[] shape = new long[j.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = j.get("shape").get(i).asLong();
        }
        float[] data = new float[j.get("data").size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) j.get("data").get(i).asDouble();
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
    }

    private static float[] flat(FloatBuffer b) {
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }
}
