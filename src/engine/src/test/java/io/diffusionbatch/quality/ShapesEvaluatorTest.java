package io.diffusionbatch.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The bundled evaluator run by ONNX Runtime against the PyTorch outputs recorded at export. */
class ShapesEvaluatorTest {

    private static final Path DIR = Path.of("models/shapes-eval");
    private static ShapesEvaluator evaluator;
    private static JsonNode reference;

    @BeforeAll
    static void open() {
        evaluator = ShapesEvaluator.open(DIR);
        reference = JsonMapper.builder().build().readTree(DIR.resolve("reference.json").toFile());
    }

    @AfterAll
    static void close() {
        evaluator.close();
    }

    private static List<float[]> items(JsonNode input) {
        JsonNode shape = input.get("shape");
        int n = shape.get(0).asInt();
        int per = 1;
        for (int i = 1; i < shape.size(); i++) {
            per *= shape.get(i).asInt();
        }
        List<float[]> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            float[] v = new float[per];
            for (int j = 0; j < per; j++) {
                v[j] = (float) input.get("data").get(k * per + j).asDouble();
            }
            out.add(v);
        }
        return out;
    }

    /** The index of the largest of PyTorch's logits of item k. */
    private static int argmax(JsonNode output, int k) {
        int classes = output.get("shape").get(1).asInt();
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (output.get("data").get(k * classes + c).asDouble() > output.get("data").get(k * classes + best).asDouble()) {
                best = c;
            }
        }
        return best;
    }

    private static void agreesWithPyTorch(JsonNode c, List<Map<String, String>> read, String section) {
        JsonNode labels = JsonMapper.builder().build().readTree(DIR.resolve("labels.json").toFile()).get(section).get("heads");
        for (int k = 0; k < read.size(); k++) {
            for (var head : labels.properties()) {
                String expected = head.getValue().get(argmax(c.get("outputs").get(head.getKey()), k)).asString();
                assertThat(read.get(k).get(head.getKey())).as("item %d head %s", k, head.getKey()).isEqualTo(expected);
            }
        }
    }

    @Test
    void imagesAreReadAsPyTorchReadsThemAndAsTheirCaptionsSay() {
        JsonNode c = reference.get("cases").get(0);
        assertThat(c.get("model").asString()).isEqualTo("image.onnx");
        List<Map<String, String>> read = evaluator.judgeImages(items(c.get("inputs").get("image"))).stream()
                .map(ShapesEvaluator.Reading::labels).toList();
        agreesWithPyTorch(c, read, "image");
        // "a large blue star at the bottom left on a green background"
        assertThat(read.get(0)).containsEntry("count", "1").containsEntry("shape", "star").containsEntry("colour", "blue")
                .containsEntry("size", "large").containsEntry("position", "bottom left").containsEntry("background", "green");
        // "a blue ring to the left of a yellow triangle on a black background"
        assertThat(read.get(2)).containsEntry("count", "2").containsEntry("obj1_shape", "ring")
                .containsEntry("obj1_colour", "blue").containsEntry("obj2_shape", "triangle")
                .containsEntry("obj2_colour", "yellow").containsEntry("orientation", "horizontal");
    }

    @Test
    void featuresAreThePyTorchFeatures() {
        JsonNode c = reference.get("cases").get(0);
        List<ShapesEvaluator.Reading> read = evaluator.judgeImages(items(c.get("inputs").get("image")));
        JsonNode expected = c.get("outputs").get("features");
        double worst = 0;
        for (int k = 0; k < read.size(); k++) {
            for (int j = 0; j < 128; j++) {
                worst = Math.max(worst, Math.abs(read.get(k).features()[j] - expected.get("data").get(k * 128 + j).asDouble()));
            }
        }
        assertThat(worst).isLessThan(c.get("tolerance").asDouble());
    }

    @Test
    void videosAreReadAsPyTorchReadsThem() {
        JsonNode c = reference.get("cases").get(1);
        List<Map<String, String>> read = evaluator.judgeVideos(items(c.get("inputs").get("video"))).stream()
                .map(ShapesEvaluator.Reading::labels).toList();
        agreesWithPyTorch(c, read, "video");
        // "a yellow circle moving down on a white background"
        assertThat(read.get(0)).containsEntry("direction", "down").containsEntry("shape", "circle")
                .containsEntry("colour", "yellow").containsEntry("background", "white");
    }
}
