package io.diffusionbatch.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-built graphs (tools/make_graph_fixtures.py) whose FLOPs are closed forms computed here. */
class GraphStatsHandBuiltTest {

    static Path fixture(String name) {
        try {
            return Path.of(GraphStatsHandBuiltTest.class.getResource("/graph/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** floor((in + pads - dilation*(k-1) - 1) / stride) + 1 */
    static long convOut(long in, long k, long stride, long padBegin, long padEnd, long dilation) {
        return Math.floorDiv(in + padBegin + padEnd - dilation * (k - 1) - 1, stride) + 1;
    }

    @Test
    void convWithGroupsStridePaddingDilation() throws Exception {
        // x [N, 8, 17, 19], w [12, 4, 3, 3], group 2, strides 2, pads (top 1, left 0, bottom 2, right 1),
        // dilations (1, 2)
        long h = convOut(17, 3, 2, 1, 2, 1);
        long w = convOut(19, 3, 2, 0, 1, 2);
        assertThat(h).isEqualTo(9);
        assertThat(w).isEqualTo(8);
        for (long n : new long[] {1, 2}) {
            GraphStats s = GraphStats.of(fixture("hand_conv.onnx"), Map.of("x", new long[] {n, 8, 17, 19}));
            long macs = n * 12 * h * w * (8 / 2) * 3 * 3;
            assertThat(s.macsPerEvaluation()).isEqualTo(macs);
            assertThat(s.flopsPerEvaluation()).isEqualTo(2 * macs);
            assertThat(s.byOpType().get("Conv").macs()).isEqualTo(macs);
            assertThat(s.parameters()).isEqualTo(12 * 4 * 3 * 3 + 12);
            assertThat(s.parametersByDataType()).containsExactly(Map.entry("FLOAT", 12L * 4 * 3 * 3 + 12));
            assertThat(s.complete()).isTrue();
        }
    }

    @Test
    void convWithoutGivenBatchIsUnresolved() throws Exception {
        GraphStats s = GraphStats.of(fixture("hand_conv.onnx"), Map.of());
        assertThat(s.complete()).isFalse();
        assertThat(s.unresolvedNodes()).singleElement().satisfies(u -> {
            assertThat(u.opType()).isEqualTo("Conv");
            assertThat(u.reason()).contains("unknown");
        });
        assertThat(s.flopsPerEvaluation()).isZero();
        assertThat(s.parameters()).isEqualTo(12 * 4 * 3 * 3 + 12);
    }

    @Test
    void gemmWithTransB() throws Exception {
        GraphStats s = GraphStats.of(fixture("hand_gemm.onnx"), Map.of());
        // A [5, 7] x B^T where B is [11, 7]: M=5, K=7, N=11; bias add not counted
        assertThat(s.macsPerEvaluation()).isEqualTo(5L * 7 * 11);
        assertThat(s.flopsPerEvaluation()).isEqualTo(2L * 5 * 7 * 11);
        assertThat(s.parameters()).isEqualTo(11 * 7 + 11);
        assertThat(s.complete()).isTrue();
    }

    @Test
    void batchedMatMulWithBroadcastThenVector() throws Exception {
        GraphStats s = GraphStats.of(fixture("hand_matmul.onnx"), Map.of("a", new long[] {2, 1, 6, 8}));
        // [2,1,6,8] x [3,8,5] -> [2,3,6,5]: batch 2*3, M 6, K 8, N 5; then [2,3,6,5] x [5] -> [2,3,6]: 36 x 5
        long first = 2L * 3 * 6 * 8 * 5;
        long second = 2L * 3 * 6 * 5;
        assertThat(s.macsPerEvaluation()).isEqualTo(first + second);
        assertThat(s.byOpType().get("MatMul").nodes()).isEqualTo(2);
        assertThat(s.parametersByDataType()).containsExactly(Map.entry("FLOAT16", 3L * 8 * 5 + 5));
    }

    @Test
    void badInputShapesAreRejectedWithTheRule() {
        Path conv = fixture("hand_conv.onnx");
        assertThatThrownBy(() -> GraphStats.of(conv, Map.of("nope", new long[] {1})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope' is not an input")
                .hasMessageContaining("[x]");
        assertThatThrownBy(() -> GraphStats.of(conv, Map.of("x", new long[] {1, 8, 17})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank 3")
                .hasMessageContaining("rank 4");
        assertThatThrownBy(() -> GraphStats.of(conv, Map.of("x", new long[] {1, 9, 17, 19})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim 1 must be 8");
        assertThatThrownBy(() -> GraphStats.of(conv, Map.of("x", new long[] {-1, 8, 17, 19})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
    }

    @Test
    void flopsForMultipliesEvaluations() throws Exception {
        GraphStats s = GraphStats.of(fixture("hand_gemm.onnx"), Map.of());
        assertThat(s.flopsFor(50)).isEqualTo(50 * 2L * 5 * 7 * 11);
        assertThatThrownBy(() -> s.flopsFor(-1)).hasMessageContaining("evaluations must be >= 0");
    }
}
