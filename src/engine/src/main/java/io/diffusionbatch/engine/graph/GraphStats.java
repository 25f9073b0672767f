package io.diffusionbatch.engine.graph;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Parameter count and FLOPs of one evaluation of an ONNX network (text encoder, UNet or VAE
 * decoder), computed from the file itself for concrete input shapes.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li><b>Parameters</b> are the elements of all initializers of the main graph, whatever their
 *       data type ({@link #parametersByDataType()} separates e.g. FLOAT from INT64 shape constants);
 *       initializers stored as external data are counted from their dims. {@code Constant} nodes are
 *       not parameters.</li>
 *   <li><b>FLOPs = 2 × MACs</b> (one multiply-add is two FLOPs). MACs are counted for the
 *       contractions only: {@code Conv} (any spatial rank, groups, dilations; MACs = output elements
 *       × C_in/group × kernel elements), {@code ConvTranspose} (input elements × C_out/group × kernel
 *       elements), {@code MatMul} (batched with broadcasting: batch × M × N × K), {@code Gemm}
 *       (M × N × K), {@code Einsum} with two or more operands (product of all index sizes), and
 *       com.microsoft {@code Attention} (QKV projection + QKᵀ + AV) and {@code MultiHeadAttention}
 *       (QKᵀ + AV). Attention written as MatMul/Softmax/MatMul is covered by MatMul.</li>
 *   <li>Not counted: bias additions of Conv/Gemm, all elementwise ops, activations, normalizations,
 *       softmax, reductions, resizes and data movement; in diffusion networks they are small next to
 *       the contractions. Bodies of subgraphs are not counted either (below).</li>
 *   <li>Bodies of {@code If}/{@code Loop}/{@code Scan} are not analysed: such nodes are listed in
 *       {@link #unresolvedNodes()} and their outputs have unknown shapes.</li>
 * </ul>
 *
 * <p>A FLOP-counted node whose operand shapes could not be inferred, and any node of an op type the
 * shape inference does not know, is listed in {@link #unresolvedNodes()}; its FLOPs are missing from
 * the totals, which are then a lower bound ({@link #complete()} is false).
 *
 * <p>Immutable and thread-safe; components are never null.
 *
 * @param parameters           elements of all initializers
 * @param parametersByDataType elements per ONNX data type name ("FLOAT", "FLOAT16", "INT64", ...)
 * @param macsPerEvaluation    multiply-accumulates of one evaluation at the given input shapes
 * @param flopsPerEvaluation   {@code 2 * macsPerEvaluation}
 * @param byOpType             per op type (prefixed "domain:" outside the default domain): node count,
 *                             MACs and unresolved nodes; every op type of the graph appears
 * @param unresolvedNodes      nodes whose FLOPs (or, for unknown ops, output shapes) could not be determined
 * @param nodeCount            nodes of the main graph
 */
public record GraphStats(long parameters, Map<String, Long> parametersByDataType, long macsPerEvaluation,
                         long flopsPerEvaluation, Map<String, OpTypeStats> byOpType,
                         List<UnresolvedNode> unresolvedNodes, int nodeCount) {

    public GraphStats {
        parametersByDataType = Map.copyOf(parametersByDataType);
        byOpType = Map.copyOf(byOpType);
        unresolvedNodes = List.copyOf(unresolvedNodes);
        if (flopsPerEvaluation != 2 * macsPerEvaluation) {
            throw new IllegalArgumentException("flopsPerEvaluation must be 2 * macsPerEvaluation, got "
                    + flopsPerEvaluation + " for " + macsPerEvaluation + " MACs");
        }
    }

    /**
     * Reads {@code onnxFile} (memory-mapped; external data files are not opened) and computes its
     * statistics for one evaluation.
     *
     * @param inputShapes graph input name → concrete shape (typically batch 1). Inputs left out keep
     *                    the shape the graph declares, with symbolic dims ({@code dim_param}) bound
     *                    from the inputs given; dims still unknown make dependent nodes unresolved.
     *                    Must not be null; arrays are not retained.
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException for a malformed file, a name that is not a graph input, or a
     *                                  shape that contradicts the declared rank, fixed dims or
     *                                  another input's binding of a symbolic dim
     */
    public static GraphStats of(Path onnxFile, Map<String, long[]> inputShapes) throws IOException {
        Objects.requireNonNull(onnxFile, "onnxFile");
        Objects.requireNonNull(inputShapes, "inputShapes");
        return of(OnnxModel.read(onnxFile), inputShapes);
    }

    /** As {@link #of(Path, Map)} for an already read model. */
    public static GraphStats of(OnnxModel model, Map<String, long[]> inputShapes) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputShapes, "inputShapes");
        return new GraphAnalyzer(model, inputShapes).run();
    }

    /** True when every FLOP-relevant node was resolved, i.e. the totals are exact under the convention. */
    public boolean complete() {
        return unresolvedNodes.isEmpty();
    }

    /** FLOPs of {@code evaluations} network evaluations (e.g. NFE × CFG batch factor). */
    public long flopsFor(long evaluations) {
        if (evaluations < 0) {
            throw new IllegalArgumentException("evaluations must be >= 0, got " + evaluations);
        }
        return Math.multiplyExact(flopsPerEvaluation, evaluations);
    }

    /**
     * Statistics of one op type.
     *
     * @param opType     op type, prefixed "domain:" outside the default ONNX domain
     * @param nodes      number of nodes
     * @param macs       resolved MACs of these nodes (0 for uncounted op types)
     * @param unresolved nodes of this type listed in {@link GraphStats#unresolvedNodes()}
     */
    public record OpTypeStats(String opType, int nodes, long macs, int unresolved) {
        public long flops() {
            return 2 * macs;
        }
    }

    /**
     * A node whose FLOPs could not be determined.
     *
     * @param name   node name ("" if unnamed)
     * @param opType op type, prefixed "domain:" outside the default domain
     * @param reason why, e.g. "unknown input shapes" or "unsupported op"
     */
    public record UnresolvedNode(String name, String opType, String reason) {
    }
}
