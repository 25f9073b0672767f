package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * Proves that the test model fixtures under {@code src/engine/src/test/resources/models} (written by
 * {@code tools/make_test_models.py}) load in ONNX Runtime, have the declared input/output
 * signatures, and compute what the generator's numpy evaluation recorded. The analytic models are
 * also checked against their closed form computed here in double precision.
 */
class TestModelsTest {

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

    static Path modelsDir() {
        try {
            return Path.of(TestModelsTest.class.getResource("/models/README.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static synchronized OrtSession session(String model, String component) throws OrtException {
        String key = model + "/" + component;
        OrtSession s = SESSIONS.get(key);
        if (s == null) {
            Path file = modelsDir().resolve(model).resolve(component).resolve("model.onnx");
            s = env.createSession(file.toString(), new OrtSession.SessionOptions());
            SESSIONS.put(key, s);
        }
        return s;
    }

    static Stream<Arguments> referenceCases() throws IOException {
        JsonNode root;
        try (InputStream in = Files.newInputStream(modelsDir().resolve("reference-outputs.json"))) {
            root = JSON.readTree(in);
        }
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            cases.add(Arguments.of(c.get("description").asString(), c));
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(10);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceCases")
    void onnxRuntimeReproducesTheNumpyReference(String description, JsonNode c) throws OrtException {
        OrtSession s = session(c.get("model").asString(), c.get("component").asString());
        JsonTensors.assertReproduces(s, c, description);
    }

    // ---------------------------------------------------------------------------------------------
    // Closed form of the analytic models, computed here independently of the Python generator
    // ---------------------------------------------------------------------------------------------

    private static double[] alphasCumprod() {
        double[] ac = new double[1000];
        double lo = Math.sqrt(0.00085);
        double hi = Math.sqrt(0.012);
        double prod = 1;
        for (int i = 0; i < 1000; i++) {
            double b = lo + (hi - lo) * i / 999.0;
            prod *= 1 - b * b;
            ac[i] = prod;
        }
        return ac;
    }

    private static double exactEps(double x, double abar) {
        return Math.sqrt(1 - abar) * (x - Math.sqrt(abar) * 0.5) / (abar * 0.09 + 1 - abar);
    }

    private static float[] testSample(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.5 + 1.7 * Math.sin(0.37 * i + 0.1));
        }
        return x;
    }

    @ParameterizedTest(name = "t = {0}")
    @MethodSource("fractionalTimesteps")
    void analyticGaussianMatchesClosedFormWithInterpolatedSigma(double t) throws OrtException {
        double[] ac = alphasCumprod();
        int lo = (int) Math.floor(t);
        int hi = (int) Math.ceil(t);
        double sLo = Math.sqrt((1 - ac[lo]) / ac[lo]);
        double sHi = Math.sqrt((1 - ac[hi]) / ac[hi]);
        double sigma = sLo + (t - lo) * (sHi - sLo);
        double abar = 1 / (1 + sigma * sigma);

        float[] x = testSample(3 * 3 * 8 * 8);
        float[] out;
        try (OnnxTensor sample = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {3, 3, 8, 8});
                OnnxTensor ts = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {(float) t}), new long[] {1});
                OrtSession.Result r = session("analytic-gaussian", "unet").run(Map.of("sample", sample, "timestep", ts))) {
            out = floats(((OnnxTensor) r.get("out_sample").orElseThrow()).getFloatBuffer());
        }
        for (int i = 0; i < x.length; i++) {
            assertThat((double) out[i]).as("element %d at t=%s", i, t).isCloseTo(exactEps(x[i], abar),
                    org.assertj.core.data.Offset.offset(2e-4));
        }
    }

    static Stream<Double> fractionalTimesteps() {
        return Stream.of(0.0, 0.75, 17.5, 333.3, 998.9, 999.0);
    }

    @Test
    void analyticGaussianIntMatchesClosedFormAndClipsTimesteps() throws OrtException {
        double[] ac = alphasCumprod();
        float[] x = testSample(1 * 3 * 8 * 8);
        long[][] cases = {{1, 1}, {261, 261}, {999, 999}, {-5, 0}, {1500, 999}};
        for (long[] c : cases) {
            float[] out;
            try (OnnxTensor sample = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 3, 8, 8});
                    OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {c[0]}), new long[0]);
                    OrtSession.Result r = session("analytic-gaussian-int", "unet").run(Map.of("sample", sample, "timestep", ts))) {
                out = floats(((OnnxTensor) r.get("out_sample").orElseThrow()).getFloatBuffer());
            }
            for (int i = 0; i < x.length; i++) {
                assertThat((double) out[i]).as("element %d at t=%d", i, c[0])
                        .isCloseTo(exactEps(x[i], ac[(int) c[1]]), org.assertj.core.data.Offset.offset(2e-4));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Signatures
    // ---------------------------------------------------------------------------------------------

    private record Sig(String name, OnnxJavaType type, long... shape) {
    }

    private static void assertSignature(String model, String component, Map<String, NodeInfo> infos, Sig... sigs) {
        assertThat(infos.keySet()).as(model + "/" + component)
                .containsExactlyInAnyOrder(Stream.of(sigs).map(Sig::name).toArray(String[]::new));
        for (Sig sig : sigs) {
            TensorInfo ti = (TensorInfo) infos.get(sig.name()).getInfo();
            assertThat(ti.type).as(model + "/" + component + " " + sig.name() + " type").isEqualTo(sig.type());
            assertThat(ti.getShape()).as(model + "/" + component + " " + sig.name() + " shape").containsExactly(sig.shape());
        }
    }

    private static void assertIo(String model, String component, Sig[] inputs, Sig... outputs) throws OrtException {
        OrtSession s = session(model, component);
        assertSignature(model, component, s.getInputInfo(), inputs);
        assertSignature(model, component, s.getOutputInfo(), outputs);
    }

    private static final OnnxJavaType F = OnnxJavaType.FLOAT;
    private static final OnnxJavaType L = OnnxJavaType.INT64;

    private static Sig[] in(Sig... s) {
        return s;
    }

    @Test
    void unetSignatures() throws OrtException {
        assertIo("analytic-gaussian", "unet", in(new Sig("sample", F, -1, 3, 8, 8), new Sig("timestep", F, 1)),
                new Sig("out_sample", F, -1, 3, 8, 8));
        assertIo("analytic-gaussian-int", "unet", in(new Sig("sample", F, -1, 3, 8, 8), new Sig("timestep", L)),
                new Sig("out_sample", F, -1, 3, 8, 8));
        for (String m : List.of("tiny-sd")) {
            assertIo(m, "unet", in(new Sig("sample", F, -1, 4, 8, 8), new Sig("timestep", L, 1),
                    new Sig("encoder_hidden_states", F, -1, 8, 16)), new Sig("out_sample", F, -1, 4, 8, 8));
        }
        assertIo("tiny-sd-fixed-batch", "unet", in(new Sig("sample", F, 2, 4, 8, 8), new Sig("timestep", L, 1),
                new Sig("encoder_hidden_states", F, 2, 8, 16)), new Sig("out_sample", F, 2, 4, 8, 8));
        assertIo("tiny-pixel", "unet", in(new Sig("sample", F, -1, 3, 16, 16), new Sig("timestep", F, -1),
                new Sig("encoder_hidden_states", F, -1, 8, 16)), new Sig("out_sample", F, -1, 3, 16, 16));
        assertIo("tiny-uncond", "unet", in(new Sig("sample", F, -1, 4, 8, 8), new Sig("timestep", L, 1)),
                new Sig("out_sample", F, -1, 4, 8, 8));
        assertIo("tiny-video", "unet", in(new Sig("sample", F, -1, 4, 8, 8, 8), new Sig("timestep", L, 1),
                new Sig("encoder_hidden_states", F, -1, 8, 16)), new Sig("out_sample", F, -1, 4, 8, 8, 8));
        assertIo("bad-unet-inputs", "unet", in(new Sig("x", F, -1, 4, 8, 8), new Sig("t", L, 1)),
                new Sig("out_sample", F, -1, 4, 8, 8));
    }

    @Test
    void textEncoderAndVaeSignatures() throws OrtException {
        for (String m : List.of("tiny-sd", "tiny-sd-fixed-batch", "tiny-pixel", "tiny-video")) {
            assertIo(m, "text_encoder", in(new Sig("input_ids", L, -1, -1)), new Sig("last_hidden_state", F, -1, -1, 16));
        }
        for (String m : List.of("tiny-sd", "tiny-sd-fixed-batch", "tiny-uncond", "tiny-video", "bad-unet-inputs")) {
            assertIo(m, "vae_decoder", in(new Sig("latent_sample", F, -1, 4, 8, 8)), new Sig("sample", F, -1, 3, 32, 32));
        }
    }

    @Test
    void folderLayouts() throws IOException {
        Path root = modelsDir();
        Map<String, List<String>> components = Map.of(
                "analytic-gaussian", List.of("unet"),
                "analytic-gaussian-int", List.of("unet"),
                "tiny-sd", List.of("text_encoder", "tokenizer", "unet", "vae_decoder"),
                "tiny-sd-fixed-batch", List.of("text_encoder", "tokenizer", "unet", "vae_decoder"),
                "tiny-pixel", List.of("text_encoder", "tokenizer", "unet"),
                "tiny-uncond", List.of("unet", "vae_decoder"),
                "tiny-video", List.of("text_encoder", "tokenizer", "unet", "vae_decoder"),
                "bad-unet-inputs", List.of("unet", "vae_decoder"));
        for (Map.Entry<String, List<String>> e : components.entrySet()) {
            Path dir = root.resolve(e.getKey());
            JsonNode index = JSON.readTree(dir.resolve("model_index.json").toFile());
            assertThat(index.get("_class_name").asString()).isNotBlank();
            assertThat(index.get("_diffusers_version").asString()).isNotBlank();
            for (String c : List.of("text_encoder", "tokenizer", "unet", "vae_decoder")) {
                boolean expected = e.getValue().contains(c);
                assertThat(Files.isDirectory(dir.resolve(c))).as(e.getKey() + "/" + c).isEqualTo(expected);
                assertThat(index.has(c)).as(e.getKey() + " model_index " + c).isEqualTo(expected);
            }
            JsonNode sched = JSON.readTree(dir.resolve("scheduler/scheduler_config.json").toFile());
            assertThat(sched.get("beta_schedule").asString()).isEqualTo("scaled_linear");
            assertThat(sched.get("beta_start").asDouble()).isEqualTo(0.00085);
            assertThat(sched.get("beta_end").asDouble()).isEqualTo(0.012);
            assertThat(sched.get("num_train_timesteps").asInt()).isEqualTo(1000);
            assertThat(sched.get("timestep_spacing").asString()).isEqualTo("leading");
            assertThat(sched.get("steps_offset").asInt()).isEqualTo(1);
            assertThat(sched.get("prediction_type").asString()).isEqualTo("epsilon");
            if (e.getValue().contains("vae_decoder")) {
                JsonNode vae = JSON.readTree(dir.resolve("vae_decoder/config.json").toFile());
                assertThat(vae.get("scaling_factor").asDouble()).isEqualTo(0.18215);
            }
            if (e.getValue().contains("tokenizer")) {
                List<String> vocab = Files.readAllLines(dir.resolve("tokenizer/vocab.txt"));
                assertThat(vocab).startsWith("<pad>", "<unk>", "<bos>", "<eos>").contains("red", "circle", "background")
                        .doesNotHaveDuplicates();
                JsonNode cfg = JSON.readTree(dir.resolve("tokenizer/tokenizer_config.json").toFile());
                assertThat(cfg.get("tokenizer_type").asString()).isEqualTo("word-level");
                assertThat(cfg.get("model_max_length").asInt()).isEqualTo(8);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Batch behaviour
    // ---------------------------------------------------------------------------------------------

    @Test
    void fixedBatchUnetRejectsAnotherBatchSize() throws OrtException {
        OrtSession s = session("tiny-sd-fixed-batch", "unet");
        try (OnnxTensor sample = OnnxTensor.createTensor(env, FloatBuffer.allocate(4 * 64), new long[] {1, 4, 8, 8});
                OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {10}), new long[] {1});
                OnnxTensor ehs = OnnxTensor.createTensor(env, FloatBuffer.allocate(8 * 16), new long[] {1, 8, 16})) {
            assertThatThrownBy(() -> s.run(Map.of("sample", sample, "timestep", ts, "encoder_hidden_states", ehs)))
                    .isInstanceOf(OrtException.class);
        }
    }

    @Test
    void dynamicBatchUnetTreatsSamplesIndependently() throws OrtException {
        float[] x = testSample(2 * 4 * 64);
        float[] e = testSample(2 * 8 * 16);
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) Math.tanh(e[i]);
        }
        float[] both = runTinySd(x, e, 2);
        float[] second = runTinySd(java.util.Arrays.copyOfRange(x, 256, 512), java.util.Arrays.copyOfRange(e, 128, 256), 1);
        for (int i = 0; i < 256; i++) {
            assertThat(second[i]).isCloseTo(both[256 + i], org.assertj.core.data.Offset.offset(1e-5f));
        }
        // the prompt matters: same sample, other encoder states, clearly different prediction
        float[] otherPrompt = runTinySd(java.util.Arrays.copyOfRange(x, 256, 512), java.util.Arrays.copyOfRange(e, 0, 128), 1);
        double diff = 0;
        for (int i = 0; i < 256; i++) {
            diff += Math.abs(otherPrompt[i] - second[i]) / 256;
        }
        assertThat(diff).isGreaterThan(0.01);
    }

    private static float[] runTinySd(float[] x, float[] e, int batch) throws OrtException {
        try (OnnxTensor sample = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 4, 8, 8});
                OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {400}), new long[] {1});
                OnnxTensor ehs = OnnxTensor.createTensor(env, FloatBuffer.wrap(e), new long[] {batch, 8, 16});
                OrtSession.Result r = session("tiny-sd", "unet")
                        .run(Map.of("sample", sample, "timestep", ts, "encoder_hidden_states", ehs))) {
            return floats(((OnnxTensor) r.get("out_sample").orElseThrow()).getFloatBuffer());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Whole DDIM runs (reference-pipelines.json), replayed with ONNX Runtime
    // ---------------------------------------------------------------------------------------------

    static Stream<Arguments> pipelineRuns() throws IOException {
        JsonNode root;
        try (InputStream in = Files.newInputStream(modelsDir().resolve("reference-pipelines.json"))) {
            root = JSON.readTree(in);
        }
        List<Arguments> runs = new ArrayList<>();
        for (JsonNode r : root.get("runs")) {
            runs.add(Arguments.of(r.get("description").asString(), r));
        }
        assertThat(runs).hasSize(5);
        return runs.stream();
    }

    /**
     * DDIM (eta 0, "leading" spacing, steps_offset 1, final alpha = alphas_cumprod[0]) with
     * classifier-free guidance over a [uncond, cond] UNet batch, computed here in double and with
     * ONNX Runtime for the networks; must end where the generator's numpy run ended.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineRuns")
    void ddimRunsReplayWithOnnxRuntime(String description, JsonNode run) throws OrtException {
        String model = run.get("model").asString();
        int steps = run.get("num_inference_steps").asInt();
        int ratio = 1000 / steps;
        double[] ac = alphasCumprod();
        JsonNode init = run.get("initial_sample");
        long[] shape = JsonTensors.longs(init.get("shape"));
        float[] x = JsonTensors.floats(init.get("data"));
        boolean cfg = !run.get("prompt").isNull();
        double guidance = cfg ? run.get("guidance_scale").asDouble() : 1;
        float[] ehs = null;
        if (cfg) {
            float[] u = encode(model, JsonTensors.longs(run.get("uncond_input_ids").get(0)));
            float[] c = encode(model, JsonTensors.longs(run.get("cond_input_ids").get(0)));
            ehs = concat(u, c);
        }
        int batch = (int) shape[0];
        int unetBatch = cfg ? 2 * batch : batch;
        long[] unetShape = shape.clone();
        unetShape[0] = unetBatch;
        String kind = run.get("timestep_input").asString();
        List<Integer> expectedTimesteps = new ArrayList<>();
        for (JsonNode t : run.get("timesteps")) {
            expectedTimesteps.add(t.asInt());
        }
        List<Integer> timesteps = new ArrayList<>();
        for (int i = steps - 1; i >= 0; i--) {
            timesteps.add(i * ratio + 1); // "leading" spacing, steps_offset 1
        }
        assertThat(timesteps).isEqualTo(expectedTimesteps);

        for (int t : timesteps) {
            float[] input = cfg ? concat(x, x) : x;
            float[] eps;
            Map<String, OnnxTensor> feeds = new HashMap<>();
            try {
                feeds.put("sample", OnnxTensor.createTensor(env, FloatBuffer.wrap(input), unetShape));
                feeds.put("timestep", switch (kind) {
                    case "int64[1]" -> OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {t}), new long[] {1});
                    case "int64[]" -> OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {t}), new long[0]);
                    case "float32[batch]" -> {
                        float[] ts = new float[unetBatch];
                        java.util.Arrays.fill(ts, t);
                        yield OnnxTensor.createTensor(env, FloatBuffer.wrap(ts), new long[] {unetBatch});
                    }
                    default -> throw new IllegalArgumentException("timestep_input " + kind);
                });
                if (cfg) {
                    feeds.put("encoder_hidden_states", OnnxTensor.createTensor(env, FloatBuffer.wrap(ehs),
                            new long[] {unetBatch, 8, 16}));
                }
                try (OrtSession.Result r = session(model, "unet").run(feeds)) {
                    eps = floats(((OnnxTensor) r.get("out_sample").orElseThrow()).getFloatBuffer());
                }
            } finally {
                for (OnnxTensor v : feeds.values()) {
                    v.close();
                }
            }
            double aT = ac[t];
            double aPrev = t - ratio >= 0 ? ac[t - ratio] : ac[0];
            for (int i = 0; i < x.length; i++) {
                double e = cfg ? eps[i] + guidance * (eps[x.length + i] - eps[i]) : eps[i];
                double x0 = (x[i] - Math.sqrt(1 - aT) * e) / Math.sqrt(aT);
                x[i] = (float) (Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * e);
            }
        }

        JsonNode outs = run.get("outputs");
        for (Map.Entry<String, JsonNode> out : outs.properties()) {
            float[] got = switch (out.getKey()) {
                case "final_sample", "final_latent" -> x;
                case "image" -> decode(model, x);
                case "frame0_image", "frame7_image" -> decode(model, frame(x, shape, out.getKey().equals("frame0_image") ? 0 : 7));
                default -> throw new IllegalArgumentException("unknown output " + out.getKey());
            };
            float[] want = JsonTensors.floats(out.getValue().get("data"));
            assertThat(got).hasSameSizeAs(want);
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i])));
            }
            assertThat(worst).as(description + ": worst error of " + out.getKey()).isLessThanOrEqualTo(1e-3);
        }
    }

    private static float[] encode(String model, long[] ids) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length});
                OrtSession.Result r = session(model, "text_encoder").run(Map.of("input_ids", t))) {
            return floats(((OnnxTensor) r.get("last_hidden_state").orElseThrow()).getFloatBuffer());
        }
    }

    private static float[] decode(String model, float[] latent) throws OrtException {
        float[] scaled = new float[latent.length];
        for (int i = 0; i < latent.length; i++) {
            scaled[i] = latent[i] / 0.18215f;
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(scaled), new long[] {latent.length / 256, 4, 8, 8});
                OrtSession.Result r = session(model, "vae_decoder").run(Map.of("latent_sample", t))) {
            return floats(((OnnxTensor) r.get("sample").orElseThrow()).getFloatBuffer());
        }
    }

    /** Frame f of a (1, C, F, H, W) video latent as a (1, C, H, W) image latent. */
    private static float[] frame(float[] video, long[] shape, int f) {
        int c = (int) shape[1];
        int frames = (int) shape[2];
        int hw = (int) (shape[3] * shape[4]);
        float[] out = new float[c * hw];
        for (int ch = 0; ch < c; ch++) {
            System.arraycopy(video, (ch * frames + f) * hw, out, ch * hw, hw);
        }
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // JSON <-> tensors
    // ---------------------------------------------------------------------------------------------

    private static float[] floats(FloatBuffer b) {
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }
}
