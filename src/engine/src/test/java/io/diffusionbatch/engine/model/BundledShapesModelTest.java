package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.diffusionbatch.engine.tokenizer.WordLevelTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every bundled shapes model trained by {@code tools/shapes/} must satisfy: ONNX Runtime
 * reproduces the PyTorch outputs recorded in its {@code reference.json}, the Java word-level
 * tokenizer gives the ids the Python trainer used, and the folder declares SD 1.5's schedule within
 * the size budget (files linked from another folder count here too). Subclasses name the folder and
 * check its own signatures.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BundledShapesModelTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    private final Map<String, OrtSession> sessions = new HashMap<>();

    /** The model folder under test. */
    abstract Path model();

    /** How many cases its reference.json holds. */
    abstract int referenceCases();

    /** The most bytes the folder may hold, all files included (this card too). */
    long sizeBudgetBytes() {
        return 15_000_000L;
    }

    /** The diffusers scheduler class its scheduler_config.json must name. */
    String schedulerClass() {
        return "PNDMScheduler";
    }

    @AfterAll
    void closeSessions() throws OrtException {
        for (OrtSession s : sessions.values()) {
            s.close();
        }
        sessions.clear();
    }

    synchronized OrtSession session(String component) throws OrtException {
        OrtSession s = sessions.get(component);
        if (s == null) {
            s = OrtEnvironment.getEnvironment().createSession(model().resolve(component).resolve("model.onnx").toString(),
                    new OrtSession.SessionOptions());
            sessions.put(component, s);
        }
        return s;
    }

    private JsonNode reference() throws IOException {
        try (InputStream in = Files.newInputStream(model().resolve("reference.json"))) {
            return JSON.readTree(in);
        }
    }

    Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : reference().get("cases")) {
            out.add(Arguments.of(c.get("description").asString(), c));
        }
        assertThat(out).hasSize(referenceCases());
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void onnxRuntimeReproducesPyTorch(String description, JsonNode c) throws OrtException {
        OrtSession s = session(c.get("component").asString());
        JsonTensors.assertReproduces(s, c, description);
    }

    @Test
    void javaTokenizerGivesThePythonTrainersIds() throws IOException {
        WordLevelTokenizer tok = WordLevelTokenizer.load(model().resolve("tokenizer"), 77);
        assertThat(tok.maxLength()).isEqualTo(20);
        int checked = 0;
        for (JsonNode c : reference().get("cases")) {
            if (!c.has("prompts")) {
                continue;
            }
            long[] ids = JsonTensors.longs(c.get("inputs").get("input_ids").get("data"));
            JsonNode prompts = c.get("prompts");
            for (int p = 0; p < prompts.size(); p++) {
                long[] row = java.util.Arrays.copyOfRange(ids, p * 20, p * 20 + 20);
                assertThat(tok.encode(prompts.get(p).asString()).ids()).as(prompts.get(p).asString())
                        .containsExactly(row);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(3);
        List<String> vocab = Files.readAllLines(model().resolve("tokenizer").resolve("vocab.txt"));
        assertThat(vocab.subList(0, 4)).containsExactly("<pad>", "<unk>", "<bos>", "<eos>");
    }

    @Test
    void folderFitsTheSizeBudgetAndDeclaresTheSd15Schedule() throws IOException {
        long total;
        try (Stream<Path> files = Files.walk(model())) {
            total = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(total).isLessThanOrEqualTo(sizeBudgetBytes());
        JsonNode sched = JSON.readTree(model().resolve("scheduler").resolve("scheduler_config.json").toFile());
        assertThat(sched.get("_class_name").asString()).isEqualTo(schedulerClass());
        assertThat(sched.get("beta_schedule").asString()).isEqualTo("scaled_linear");
        assertThat(sched.get("beta_start").asDouble()).isEqualTo(0.00085);
        assertThat(sched.get("beta_end").asDouble()).isEqualTo(0.012);
        assertThat(sched.get("prediction_type").asString()).isEqualTo("epsilon");
    }

    static void assertDims(Map<String, NodeInfo> infos, String name, long... dims) {
        assertThat(infos).containsKey(name);
        TensorInfo info = (TensorInfo) infos.get(name).getInfo();
        assertThat(info.getShape()).as(name).containsExactly(dims);
    }
}
