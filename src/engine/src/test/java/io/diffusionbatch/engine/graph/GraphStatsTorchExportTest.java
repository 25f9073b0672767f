package io.diffusionbatch.engine.graph;

import static io.diffusionbatch.engine.graph.GraphStatsHandBuiltTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Small torch modules resembling the three networks of a Stable Diffusion model (UNet with self- and
 * cross-attention, CLIP-like text encoder with einsum attention and a causal mask, VAE decoder with
 * baddbmm attention, size-driven interpolate and a transposed conv), exported with dynamic axes. Their
 * parameters and FLOPs were computed independently in Python (sum of p.numel(); forward hooks on
 * Conv2d/Linear plus the attention matmuls, 2 FLOPs per MAC, biases not counted) and committed in
 * expected.json by tools/make_graph_fixtures.py.
 */
class GraphStatsTorchExportTest {

    static JsonNode expected(String model) throws Exception {
        return JsonMapper.builder().build().readTree(Files.readString(fixture("expected.json"))).get(model);
    }

    static Map<String, long[]> shapes(long batch, long tokens, long h, long w) {
        return Map.of("sample", new long[] {batch, 4, h, w}, "timestep", new long[] {batch},
                "encoder_hidden_states", new long[] {batch, tokens, 24});
    }

    static Map<String, long[]> shapesFor(String model, JsonNode c) {
        long b = c.get("batch").asLong();
        if (model.startsWith("unet")) {
            return shapes(b, c.get("tokens").asLong(), c.get("height").asLong(), c.get("width").asLong());
        }
        if (model.startsWith("text")) {
            return Map.of("input_ids", new long[] {b, c.get("tokens").asLong()});
        }
        return Map.of("latent_sample", new long[] {b, 4, c.get("height").asLong(), c.get("width").asLong()});
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_like_opset14.onnx", "unet_like_opset17.onnx", "text_like_opset14.onnx",
        "text_like_opset17.onnx", "vae_like_opset15.onnx"})
    void matchesTorchCounts(String model) throws Exception {
        JsonNode exp = expected(model);
        assertThat(exp.get("cases").size()).isEqualTo(3);
        for (JsonNode c : exp.get("cases")) {
            GraphStats s = GraphStats.of(fixture(model), shapesFor(model, c));
            assertThat(s.unresolvedNodes()).as("unresolved in %s", model).isEmpty();
            assertThat(s.parameters()).isEqualTo(exp.get("parameters").asLong());
            assertThat(s.flopsPerEvaluation()).as("FLOPs of %s at %s", model, c).isEqualTo(c.get("flops").asLong());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_like_opset14.onnx", "text_like_opset17.onnx", "vae_like_opset15.onnx"})
    void textAndVaeScaleWithTheDynamicBatch(String model) throws Exception {
        JsonNode cases = expected(model).get("cases");
        GraphStats one = GraphStats.of(fixture(model), shapesFor(model, cases.get(0)));
        GraphStats three = GraphStats.of(fixture(model), shapesFor(model, cases.get(1)));
        assertThat(cases.get(1).get("batch").asLong()).isEqualTo(3);
        assertThat(one.flopsPerEvaluation()).isPositive();
        assertThat(three.flopsPerEvaluation()).isEqualTo(3 * one.flopsPerEvaluation());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_like_opset14.onnx", "unet_like_opset17.onnx"})
    void flopsScaleWithTheDynamicBatch(String model) throws Exception {
        GraphStats one = GraphStats.of(fixture(model), shapes(1, 7, 16, 16));
        GraphStats three = GraphStats.of(fixture(model), shapes(3, 7, 16, 16));
        assertThat(one.flopsPerEvaluation()).isPositive();
        assertThat(three.flopsPerEvaluation()).isEqualTo(3 * one.flopsPerEvaluation());
        assertThat(three.parameters()).isEqualTo(one.parameters());
        // self-attention at 32x32 latents: more than 4x the FLOPs of 16x16 (quadratic attention term)
        GraphStats big = GraphStats.of(fixture(model), shapes(1, 7, 32, 32));
        assertThat(big.flopsPerEvaluation()).isGreaterThan(4 * one.flopsPerEvaluation());
        assertThat(big.complete()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_like_opset14.onnx", "unet_like_opset17.onnx"})
    void breakdownSumsToTotal(String model) throws Exception {
        GraphStats s = GraphStats.of(fixture(model), shapes(1, 7, 16, 16));
        long sum = s.byOpType().values().stream().mapToLong(GraphStats.OpTypeStats::macs).sum();
        assertThat(sum).isEqualTo(s.macsPerEvaluation());
        assertThat(s.byOpType().get("Conv").nodes()).isEqualTo(17);
        assertThat(s.byOpType().get("Conv").macs()).isPositive();
        assertThat(s.byOpType().get("MatMul").macs()).isPositive();
        assertThat(s.byOpType().get("Softmax").macs()).isZero();
        assertThat(s.nodeCount()).isEqualTo(s.byOpType().values().stream().mapToInt(GraphStats.OpTypeStats::nodes).sum());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_like_opset14.onnx"})
    void conflictingSymbolicDimsAreRejected(String model) {
        Map<String, long[]> bad = Map.of("sample", new long[] {2, 4, 16, 16}, "timestep", new long[] {1},
                "encoder_hidden_states", new long[] {2, 7, 24});
        assertThatThrownBy(() -> GraphStats.of(fixture(model), bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("symbolic dim 'batch'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_like_opset17.onnx"})
    void symbolicDimsAreBoundFromOtherInputs(String model) throws Exception {
        // timestep left out: its 'batch' dim is bound from sample
        GraphStats s = GraphStats.of(fixture(model), Map.of("sample", new long[] {1, 4, 16, 16},
                "encoder_hidden_states", new long[] {1, 7, 24}));
        assertThat(s.flopsPerEvaluation()).isEqualTo(expected(model).get("cases").get(0).get("flops").asLong());
    }
}
