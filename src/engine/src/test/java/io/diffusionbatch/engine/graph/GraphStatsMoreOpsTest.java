package io.diffusionbatch.engine.graph;

import static io.diffusionbatch.engine.graph.GraphStatsHandBuiltTest.convOut;
import static io.diffusionbatch.engine.graph.GraphStatsHandBuiltTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-built graphs for the remaining contractions and attribute forms; closed forms computed here. */
class GraphStatsMoreOpsTest {

    private static GraphAnalyzer analyze(String name, Map<String, long[]> shapes, GraphStats[] out) throws Exception {
        GraphAnalyzer a = new GraphAnalyzer(OnnxModel.read(fixture(name)), shapes);
        out[0] = a.run();
        return a;
    }

    @Test
    void convTransposeWithGroupsAndOutputPadding() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_convtranspose.onnx", Map.of(), s);
        // out = stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads
        long h = 2 * (5 - 1) + 1 + (3 - 1) + 1 - 2;
        long w = 2 * (7 - 1) + 0 + (3 - 1) + 1 - 2;
        assertThat(a.shapeOf("y")).containsExactly(1, 2 * 3, h, w);
        // every input element meets C_out/group * kernel weights
        assertThat(s[0].macsPerEvaluation()).isEqualTo(1L * 6 * 5 * 7 * 2 * 3 * 3);
    }

    @Test
    void oneAndThreeDimensionalConvolutions() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_conv1d3d.onnx", Map.of(), s);
        long l = convOut(20, 5, 3, 2, 2, 1);
        assertThat(a.shapeOf("y1")).containsExactly(2, 8, l);
        assertThat(a.shapeOf("y3")).containsExactly(1, 4, 6, 6, 6);
        long same = (6 + 2 - 1) / 2; // SAME_UPPER: ceil(in / stride)
        assertThat(a.shapeOf("y3b")).containsExactly(1, 5, same, same, same);
        long conv1d = 2L * 8 * l * 4 * 5;
        long conv3d = 1L * 4 * 6 * 6 * 6 * 2 * 27;
        long conv3dSame = 1L * 5 * same * same * same * 4 * 27;
        assertThat(s[0].macsPerEvaluation()).isEqualTo(conv1d + conv3d + conv3dSame);
    }

    @Test
    void einsumWithEllipsisAndImplicitOutput() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_einsum.onnx", Map.of(), s);
        assertThat(a.shapeOf("c")).containsExactly(2, 3, 4, 6);
        assertThat(a.shapeOf("c2")).containsExactly(4, 7);
        assertThat(s[0].byOpType().get("Einsum").macs()).isEqualTo(2L * 3 * 4 * 5 * 6 + 4 * 5 * 7);
        assertThat(s[0].byOpType().get("MatMul").macs()).isEqualTo(4L * 7 * 2);
        assertThat(s[0].complete()).isTrue();
    }

    @Test
    void microsoftAttentionAndMultiHeadAttention() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_ms_attention.onnx", Map.of("x", new long[] {2, 10, 16},
                "q", new long[] {2, 10, 16}), s);
        long b = 2;
        long seq = 10;
        // projection [B,S,16] x [16,48]; QK^T and AV over 16 hidden each (summed over heads)
        long attention = b * seq * 16 * 48 + b * seq * seq * (16 + 16);
        assertThat(s[0].byOpType().get("com.microsoft:Attention").macs()).isEqualTo(attention);
        assertThat(a.shapeOf("att")).containsExactly(2, 10, 16);
        // MHA: query [2,10,16], key [2,7,16], value [2,7,24] -> [2,10,24]
        assertThat(s[0].byOpType().get("com.microsoft:MultiHeadAttention").macs()).isEqualTo(b * seq * 7 * (16 + 24));
        assertThat(a.shapeOf("mha")).containsExactly(2, 10, 24);
        assertThat(s[0].byOpType().get("MatMul").macs()).isEqualTo(b * seq * 24 * 3);
        assertThat(s[0].complete()).isTrue();
    }

    @Test
    void opset11AttributeFormsAndNegativeStepSlice() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_opset11.onnx", Map.of(), s);
        assertThat(a.shapeOf("sq")).containsExactly(2, 8);
        assertThat(a.shapeOf("us")).containsExactly(1, 2, 8);
        assertThat(a.shapeOf("p1")).containsExactly(1, 2, 3);
        assertThat(a.shapeOf("p2")).containsExactly(1, 2, 5);
        assertThat(a.shapeOf("rm")).containsExactly(1, 5);
        // starts -1 -> 2, ends 0 (exclusive), step -1: indices 2, 1
        assertThat(a.shapeOf("rev")).containsExactly(1, 2, 2);
        assertThat(s[0].macsPerEvaluation()).isEqualTo(1L * 5 * 4 + 1L * 2 * 2 * 2);
        assertThat(s[0].complete()).isTrue();
    }

    @Test
    void valueInfoFillsShapesAfterAnUnsupportedOp() throws Exception {
        GraphStats[] s = new GraphStats[1];
        GraphAnalyzer a = analyze("hand_value_info.onnx", Map.of("x", new long[] {4, 6}), s);
        assertThat(a.shapeOf("m")).containsExactly(4, 6); // value_info [B, 6], B bound from x
        assertThat(s[0].byOpType().get("MatMul").macs()).isEqualTo(4L * 6 * 3);
        assertThat(s[0].unresolvedNodes()).singleElement().satisfies(u -> {
            assertThat(u.opType()).isEqualTo("example.custom:Mystery");
            assertThat(u.reason()).contains("unsupported op");
        });
    }
}
