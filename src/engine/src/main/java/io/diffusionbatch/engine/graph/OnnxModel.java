package io.diffusionbatch.engine.graph;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} that parameter and FLOP counting need, read without ONNX
 * Runtime (see {@link #read(Path)}). Tensor payloads are not kept: an initializer carries its data
 * type and dims, plus decoded values only when it is small (at most {@link Tensor#DECODE_LIMIT}
 * elements, the int64 shape constants that dynamic-axis exports are full of).
 *
 * <p>Bodies of control-flow ops ({@code If}, {@code Loop}, {@code Scan}) are not read; such nodes
 * only say {@link Node#hasSubgraph()}. Sparse initializers and training info are ignored.
 *
 * <p>All records are immutable value holders (their array components are not defensively copied:
 * do not modify them) and safe to share between threads. Collections are never null; nullable
 * components are documented per record.
 *
 * @param irVersion     {@code ModelProto.ir_version}
 * @param producerName  {@code ModelProto.producer_name}, "" if absent
 * @param opsetImports  domain ("" for the default ONNX domain) to opset version
 * @param graph         the main graph
 */
public record OnnxModel(long irVersion, String producerName, Map<String, Long> opsetImports, Graph graph) {

    /**
     * Reads an ONNX file by memory-mapping it. Initializers stored as external data are described
     * from their dims; the external data files are not opened.
     *
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if it is not a well-formed ONNX protobuf or is 2 GiB or larger
     */
    public static OnnxModel read(Path onnxFile) throws IOException {
        return OnnxModelReader.read(onnxFile);
    }

    /** Opset version of the default ONNX domain ("" or "ai.onnx"); 0 if not imported. */
    public long defaultOpset() {
        Long v = opsetImports.get("");
        if (v == null) {
            v = opsetImports.get("ai.onnx");
        }
        return v == null ? 0 : v;
    }

    /**
     * {@code GraphProto}.
     *
     * @param name         graph name, "" if absent
     * @param nodes        nodes in file order (topologically sorted in a valid model)
     * @param initializers the graph's initializers
     * @param inputs       graph inputs (older exports also list initializers here)
     * @param outputs      graph outputs
     * @param valueInfo    shapes the producer recorded for intermediate values
     */
    public record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs,
                        List<ValueInfo> outputs, List<ValueInfo> valueInfo) {
    }

    /**
     * {@code NodeProto}. Absent optional inputs are empty strings, as in ONNX.
     *
     * @param domain      "" for the default domain
     * @param hasSubgraph whether an attribute holds a graph (If/Loop/Scan bodies, not read)
     */
    public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes, boolean hasSubgraph) {

        /** The attribute, or null. */
        public Attribute attribute(String attributeName) {
            return attributes.get(attributeName);
        }
    }

    /**
     * {@code AttributeProto}. Unset scalar fields are 0 / "" / null.
     *
     * @param type    {@code AttributeProto.type} (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, ...)
     * @param t       the tensor of a TENSOR attribute, or null
     * @param floats  FLOATS values (empty if none)
     * @param ints    INTS values (empty if none)
     */
    public record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats, long[] ints) {
    }

    /**
     * {@code TensorProto} without its payload.
     *
     * @param dataType     {@code TensorProto.DataType} code, see {@link #dataTypeName(int)}
     * @param dims         the shape
     * @param external     whether the data lives in an external file ({@code data_location = EXTERNAL})
     * @param externalData the {@code external_data} key/value pairs (location, offset, length, ...)
     * @param intValues    decoded values of a small integer or bool tensor, else null
     * @param floatValues  decoded values of a small floating-point tensor, else null
     */
    public record Tensor(String name, int dataType, long[] dims, boolean external, Map<String, String> externalData,
                         long[] intValues, double[] floatValues) {

        /** Tensors with at most this many elements have their values decoded. */
        public static final int DECODE_LIMIT = 4096;

        /** Product of the dims (1 for a scalar). */
        public long elementCount() {
            long n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /**
     * {@code ValueInfoProto} of a tensor type.
     *
     * @param elemType element data type code, 0 if not a tensor or unset
     * @param dims     the shape, or null if the type carries no shape
     */
    public record ValueInfo(String name, int elemType, List<Dim> dims) {
    }

    /**
     * One dimension of a {@link ValueInfo}: either a value ({@code dim_value}) or a symbolic name
     * ({@code dim_param}, with value -1), or neither (value -1, param null).
     */
    public record Dim(long value, String param) {
        public boolean isKnown() {
            return value >= 0;
        }
    }

    /** Name of a {@code TensorProto.DataType} code, e.g. 1 → "FLOAT", 10 → "FLOAT16". */
    public static String dataTypeName(int code) {
        return switch (code) {
            case 1 -> "FLOAT";
            case 2 -> "UINT8";
            case 3 -> "INT8";
            case 4 -> "UINT16";
            case 5 -> "INT16";
            case 6 -> "INT32";
            case 7 -> "INT64";
            case 8 -> "STRING";
            case 9 -> "BOOL";
            case 10 -> "FLOAT16";
            case 11 -> "DOUBLE";
            case 12 -> "UINT32";
            case 13 -> "UINT64";
            case 14 -> "COMPLEX64";
            case 15 -> "COMPLEX128";
            case 16 -> "BFLOAT16";
            case 17 -> "FLOAT8E4M3FN";
            case 18 -> "FLOAT8E4M3FNUZ";
            case 19 -> "FLOAT8E5M2";
            case 20 -> "FLOAT8E5M2FNUZ";
            case 21 -> "UINT4";
            case 22 -> "INT4";
            default -> "UNDEFINED(" + code + ")";
        };
    }

    static boolean isFloatingType(int code) {
        return code == 1 || code == 10 || code == 11 || code == 16 || (code >= 17 && code <= 20);
    }
}
