package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.diffusionbatch.engine.tokenizer.WordLevelTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bundled pixel-space model {@code models/shapes-pixel} (trained and exported by
 * {@code tools/shapes/train_pixel.py} / {@code tools/shapes/export_pixel.py}; adapted from the
 * shapes-ldm model test): ONNX Runtime reproduces the PyTorch outputs recorded in its
 * {@code reference.json}, the Java word-level tokenizer gives the ids the Python trainer used, and
 * the folder has the declared signatures (no VAE: the UNet works on 3x32x32 pixels) and size budget.
 */
class ShapesPixelModelTest {

    private static final Path MODEL = Path.of("models", "shapes-pixel");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static OrtEnvironment env;
    private static final Map<String, OrtSession> SESSIONS = new HashMap<>();

    @BeforeAll
    static void environment() {
        env = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void closeSessions() throws OrtException {
        for (OrtSession s : SESSIONS.values()) {
            s.close();
        }
        SESSIONS.clear();
    }

    private static synchronized OrtSession session(String component) throws OrtException {
        OrtSession s = SESSIONS.get(component);
        if (s == null) {
            s = env.createSession(MODEL.resolve(component).resolve("model.onnx").toString(),
                    new OrtSession.SessionOptions());
            SESSIONS.put(component, s);
        }
        return s;
    }

    private static JsonNode reference() throws IOException {
        try (InputStream in = Files.newInputStream(MODEL.resolve("reference.json"))) {
            return JSON.readTree(in);
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : reference().get("cases")) {
            out.add(Arguments.of(c.get("description").asString(), c));
        }
        assertThat(out).hasSize(4);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void onnxRuntimeReproducesPyTorch(String description, JsonNode c) throws OrtException {
        OrtSession s = session(c.get("component").asString());
        double tol = c.get("tolerance").asDouble();
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonNode> in : c.get("inputs").properties()) {
                feeds.put(in.getKey(), tensor(in.getValue()));
            }
            assertThat(s.getInputNames()).containsExactlyInAnyOrderElementsOf(feeds.keySet());
            try (OrtSession.Result r = s.run(feeds)) {
                for (Map.Entry<String, JsonNode> out : c.get("outputs").properties()) {
                    OnnxTensor actual = (OnnxTensor) r.get(out.getKey()).orElseThrow();
                    JsonNode expected = out.getValue();
                    assertThat(actual.getInfo().getShape()).as("shape of " + out.getKey())
                            .containsExactly(longs(expected.get("shape")));
                    FloatBuffer fb = actual.getFloatBuffer();
                    float[] got = new float[fb.remaining()];
                    fb.get(got);
                    float[] want = floatData(expected.get("data"));
                    assertThat(got).hasSameSizeAs(want);
                    double worst = 0;
                    for (int i = 0; i < want.length; i++) {
                        assertThat(Float.isFinite(got[i])).isTrue();
                        worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i])));
                    }
                    assertThat(worst).as(description + ": worst error of " + out.getKey()).isLessThanOrEqualTo(tol);
                }
            }
        } finally {
            for (OnnxTensor t : feeds.values()) {
                t.close();
            }
        }
    }

    @Test
    void javaTokenizerGivesThePythonTrainersIds() throws IOException {
        WordLevelTokenizer tok = WordLevelTokenizer.load(MODEL.resolve("tokenizer"), 77);
        assertThat(tok.maxLength()).isEqualTo(20);
        int checked = 0;
        for (JsonNode c : reference().get("cases")) {
            if (!c.has("prompts")) {
                continue;
            }
            long[] ids = longs(c.get("inputs").get("input_ids").get("data"));
            JsonNode prompts = c.get("prompts");
            for (int p = 0; p < prompts.size(); p++) {
                long[] row = java.util.Arrays.copyOfRange(ids, p * 20, p * 20 + 20);
                assertThat(tok.encode(prompts.get(p).asString()).ids()).as(prompts.get(p).asString())
                        .containsExactly(row);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(3);
        List<String> vocab = Files.readAllLines(MODEL.resolve("tokenizer").resolve("vocab.txt"));
        assertThat(vocab.subList(0, 4)).containsExactly("<pad>", "<unk>", "<bos>", "<eos>");
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
    void folderFitsTheSizeBudgetDeclaresTheSd15ScheduleAndHasNoVae() throws IOException {
        long total;
        try (Stream<Path> files = Files.walk(MODEL)) {
            total = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(total).isLessThanOrEqualTo(15_000_000L);
        JsonNode sched = JSON.readTree(MODEL.resolve("scheduler").resolve("scheduler_config.json").toFile());
        assertThat(sched.get("_class_name").asString()).isEqualTo("PNDMScheduler");
        assertThat(sched.get("beta_schedule").asString()).isEqualTo("scaled_linear");
        assertThat(sched.get("beta_start").asDouble()).isEqualTo(0.00085);
        assertThat(sched.get("beta_end").asDouble()).isEqualTo(0.012);
        assertThat(sched.get("prediction_type").asString()).isEqualTo("epsilon");
        assertThat(MODEL.resolve("vae_decoder")).doesNotExist();
        JsonNode index = JSON.readTree(MODEL.resolve("model_index.json").toFile());
        assertThat(index.has("vae_decoder")).isFalse();
        assertThat(index.has("unet")).isTrue();
    }

    private static void assertDims(Map<String, NodeInfo> infos, String name, long... dims) {
        assertThat(infos).containsKey(name);
        TensorInfo info = (TensorInfo) infos.get(name).getInfo();
        assertThat(info.getShape()).as(name).containsExactly(dims);
    }

    private static OnnxTensor tensor(JsonNode t) throws OrtException {
        long[] shape = longs(t.get("shape"));
        String dtype = t.get("dtype").asString();
        if (dtype.equals("float32")) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(floatData(t.get("data"))), shape);
        }
        if (dtype.equals("int64")) {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(longs(t.get("data"))), shape);
        }
        throw new IllegalArgumentException("reference dtype must be float32 or int64, got " + dtype);
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    private static float[] floatData(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
