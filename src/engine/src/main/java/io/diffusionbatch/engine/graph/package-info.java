/**
 * Reading ONNX graphs without running them: parameter counts and FLOPs per evaluation.
 *
 * <p>{@link io.diffusionbatch.engine.graph.GraphStats#of(java.nio.file.Path, java.util.Map)} reads a
 * model file (memory-mapped; weight payloads are never copied and external data files are never
 * opened), infers tensor shapes from concrete input shapes (folding the small int64 shape
 * computations of dynamic-axis exports), and counts parameters and multiply-accumulates of the
 * contractions (Conv, ConvTranspose, MatMul, Gemm, Einsum, com.microsoft Attention /
 * MultiHeadAttention). FLOPs = 2 × MACs. {@link io.diffusionbatch.engine.graph.OnnxModel} is the
 * payload-free view of the protobuf it works on.
 */
package io.diffusionbatch.engine.graph;
