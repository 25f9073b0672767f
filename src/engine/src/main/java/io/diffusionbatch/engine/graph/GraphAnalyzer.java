package io.diffusionbatch.engine.graph;

import io.diffusionbatch.engine.graph.GraphStats.OpTypeStats;
import io.diffusionbatch.engine.graph.GraphStats.UnresolvedNode;
import io.diffusionbatch.engine.graph.OnnxModel.Attribute;
import io.diffusionbatch.engine.graph.OnnxModel.Dim;
import io.diffusionbatch.engine.graph.OnnxModel.Node;
import io.diffusionbatch.engine.graph.OnnxModel.Tensor;
import io.diffusionbatch.engine.graph.OnnxModel.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Shape inference with constant folding of small tensors over the main graph, plus MAC counting.
 * One instance per analysis; not thread-safe.
 */
final class GraphAnalyzer {

    private static final Set<String> UNARY = Set.of("Identity", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal",
            "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Erf",
            "Sigmoid", "HardSigmoid", "Tanh", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Gelu", "Softplus",
            "Softsign", "Mish", "HardSwish", "ThresholdedRelu", "Not", "IsNaN", "IsInf", "Softmax", "LogSoftmax",
            "Hardmax", "Clip", "Dropout", "InstanceNormalization", "BatchNormalization", "GroupNormalization",
            "LpNormalization", "MeanVarianceNormalization", "Trilu", "CumSum", "LayerNormalization",
            "FastGelu", "QuickGelu", "GroupNorm", "SkipLayerNormalization", "SimplifiedLayerNormalization",
            "SkipSimplifiedLayerNormalization", "BiasGelu", "BiasAdd");
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum",
            "Mean", "And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "BitShift",
            "PRelu", "Where");
    private static final Set<String> COMPARISON = Set.of("And", "Or", "Xor", "Equal", "Less", "Greater",
            "LessOrEqual", "GreaterOrEqual", "Not", "IsNaN", "IsInf");
    private static final Set<String> COUNTED = Set.of("Conv", "ConvTranspose", "MatMul", "Gemm", "Einsum",
            "com.microsoft:Attention", "com.microsoft:MultiHeadAttention");

    private final OnnxModel model;
    private final Map<String, long[]> inputShapes;
    private final Map<String, Value> env = new HashMap<>();
    private final Map<String, Long> symbols = new HashMap<>();
    private final Map<String, ValueInfo> declared = new HashMap<>();

    GraphAnalyzer(OnnxModel model, Map<String, long[]> inputShapes) {
        this.model = model;
        this.inputShapes = inputShapes;
    }

    GraphStats run() {
        OnnxModel.Graph g = model.graph();
        Map<String, Long> byType = new TreeMap<>();
        long params = 0;
        for (Tensor t : g.initializers()) {
            long n = t.elementCount();
            params = Math.addExact(params, n);
            byType.merge(OnnxModel.dataTypeName(t.dataType()), n, Long::sum);
            env.put(t.name(), Value.constant(t.dataType(), t.dims(), t.intValues(), t.floatValues()));
        }
        bindInputs(g);
        for (ValueInfo vi : g.valueInfo()) {
            declared.put(vi.name(), vi);
        }
        for (ValueInfo vi : g.outputs()) {
            declared.put(vi.name(), vi);
        }

        Map<String, int[]> counts = new LinkedHashMap<>(); // nodes, unresolved
        Map<String, Long> macsByType = new HashMap<>();
        List<UnresolvedNode> unresolved = new ArrayList<>();
        long total = 0;
        for (Node n : g.nodes()) {
            String key = key(n);
            int[] c = counts.computeIfAbsent(key, k -> new int[2]);
            c[0]++;
            String problem;
            Long macs = null;
            try {
                Result r = infer(n);
                problem = r.problem;
                macs = r.macs;
                for (int i = 0; i < n.outputs().size(); i++) {
                    Value v = i < r.outputs.length && r.outputs[i] != null ? r.outputs[i] : Value.unknown(0);
                    env.put(n.outputs().get(i), refine(n.outputs().get(i), v));
                }
            } catch (ArithmeticException e) {
                problem = "arithmetic overflow";
                unknownOutputs(n);
            } catch (ShapeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
                problem = "inconsistent shapes: " + e.getMessage();
                unknownOutputs(n);
            }
            if (problem != null) {
                c[1]++;
                unresolved.add(new UnresolvedNode(n.name(), key, problem));
            } else if (macs != null) {
                total = Math.addExact(total, macs);
                macsByType.merge(key, macs, Long::sum);
            }
        }
        Map<String, OpTypeStats> ops = new TreeMap<>();
        counts.forEach((k, c) -> ops.put(k, new OpTypeStats(k, c[0], macsByType.getOrDefault(k, 0L), c[1])));
        return new GraphStats(params, byType, total, Math.multiplyExact(2, total), ops, unresolved,
                g.nodes().size());
    }

    /** After {@link #run()}: the inferred shape of a value (-1 for unknown dims), or null if the rank is unknown. */
    long[] shapeOf(String valueName) {
        Value v = env.get(valueName);
        return v == null || v.shape == null ? null : v.shape.clone();
    }

    private void unknownOutputs(Node n) {
        for (String o : n.outputs()) {
            env.put(o, refine(o, Value.unknown(0)));
        }
    }

    private static String key(Node n) {
        String d = n.domain();
        return d.isEmpty() || d.equals("ai.onnx") ? n.opType() : d + ":" + n.opType();
    }

    // ------------------------------------------------------------------ inputs and value_info

    private void bindInputs(OnnxModel.Graph g) {
        Map<String, ValueInfo> inputs = new LinkedHashMap<>();
        for (ValueInfo vi : g.inputs()) {
            if (!env.containsKey(vi.name())) { // an initializer listed as input keeps its initializer
                inputs.put(vi.name(), vi);
            }
        }
        for (Map.Entry<String, long[]> e : inputShapes.entrySet()) {
            String name = e.getKey();
            ValueInfo vi = inputs.get(name);
            if (vi == null) {
                throw new IllegalArgumentException("inputShapes: '" + name + "' is not an input of the graph; inputs are "
                        + inputs.keySet());
            }
            long[] s = e.getValue();
            if (s == null) {
                throw new IllegalArgumentException("inputShapes['" + name + "'] must not be null");
            }
            for (long d : s) {
                if (d < 0) {
                    throw new IllegalArgumentException("inputShapes['" + name + "'] = " + Arrays.toString(s)
                            + ": dims must be >= 0");
                }
            }
            List<Dim> dims = vi.dims();
            if (dims != null) {
                if (dims.size() != s.length) {
                    throw new IllegalArgumentException("inputShapes['" + name + "'] = " + Arrays.toString(s) + " has rank "
                            + s.length + " but the graph declares rank " + dims.size() + " " + describe(dims));
                }
                for (int i = 0; i < s.length; i++) {
                    Dim d = dims.get(i);
                    if (d.isKnown() && d.value() != s[i]) {
                        throw new IllegalArgumentException("inputShapes['" + name + "'] = " + Arrays.toString(s)
                                + ": dim " + i + " must be " + d.value() + " as declared " + describe(dims));
                    }
                    if (!d.isKnown() && d.param() != null && !d.param().isEmpty()) {
                        Long prev = symbols.putIfAbsent(d.param(), s[i]);
                        if (prev != null && prev != s[i]) {
                            throw new IllegalArgumentException("inputShapes['" + name + "']: symbolic dim '" + d.param()
                                    + "' is " + s[i] + " here but " + prev + " in another input");
                        }
                    }
                }
            }
            env.put(name, Value.of(vi.elemType(), s.clone()));
        }
        for (ValueInfo vi : inputs.values()) {
            if (!inputShapes.containsKey(vi.name())) {
                env.put(vi.name(), vi.dims() == null ? Value.unknown(vi.elemType())
                        : Value.of(vi.elemType(), declaredShape(vi.dims())));
            }
        }
    }

    private static String describe(List<Dim> dims) {
        List<String> s = new ArrayList<>();
        for (Dim d : dims) {
            s.add(d.isKnown() ? Long.toString(d.value()) : d.param() == null ? "?" : d.param());
        }
        return s.toString();
    }

    private long[] declaredShape(List<Dim> dims) {
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            Dim d = dims.get(i);
            s[i] = d.isKnown() ? d.value() : d.param() != null && symbols.containsKey(d.param()) ? symbols.get(d.param()) : -1;
        }
        return s;
    }

    /** Fills what inference left unknown from value_info / graph output declarations. */
    private Value refine(String name, Value v) {
        ValueInfo vi = declared.get(name);
        if (vi == null || vi.dims() == null || v.fullyKnown()) {
            return v.dtype == 0 && vi != null && vi.elemType() != 0 ? v.withType(vi.elemType()) : v;
        }
        long[] d = declaredShape(vi.dims());
        int dtype = v.dtype != 0 ? v.dtype : vi.elemType();
        if (!v.hasRank()) {
            return Value.of(dtype, d);
        }
        if (v.rank() != d.length) {
            return v;
        }
        long[] s = v.shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) {
                s[i] = d[i];
            }
        }
        return Value.constant(dtype, s, v.ints, v.floats);
    }

    // ------------------------------------------------------------------ per-node inference

    private static final class Result {
        Value[] outputs;
        Long macs;      // non-null for a counted op that was resolved
        String problem; // non-null when the node is unresolved

        Result(Value... outputs) {
            this.outputs = outputs;
        }
    }

    private static final class ShapeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShapeException(String m) {
            super(m);
        }
    }

    private Value in(Node n, int i) {
        if (i >= n.inputs().size() || n.inputs().get(i).isEmpty()) {
            return null;
        }
        Value v = env.get(n.inputs().get(i));
        return v == null ? Value.unknown(0) : v;
    }

    private boolean present(Node n, int i) {
        return i < n.inputs().size() && !n.inputs().get(i).isEmpty();
    }

    private static long attrInt(Node n, String name, long def) {
        Attribute a = n.attribute(name);
        return a == null ? def : a.i();
    }

    private static long[] attrInts(Node n, String name) {
        Attribute a = n.attribute(name);
        return a == null ? null : a.ints();
    }

    private static String attrString(Node n, String name, String def) {
        Attribute a = n.attribute(name);
        return a == null ? def : a.s();
    }

    /** Integers from input i if present and constant, else from attribute attr, else null. */
    private long[] intsFrom(Node n, int i, String attr) {
        if (present(n, i)) {
            Value v = in(n, i);
            return v.isConst() ? v.longs() : null;
        }
        return attrInts(n, attr);
    }

    private Result infer(Node n) {
        String k = key(n);
        String op = n.opType();
        Value x = in(n, 0);
        boolean msDomain = n.domain().equals("com.microsoft");
        boolean defaultDomain = n.domain().isEmpty() || n.domain().equals("ai.onnx");
        if (n.hasSubgraph()) {
            Result r = new Result();
            r.problem = "subgraph bodies (" + op + ") are not analysed";
            return r;
        }
        if (msDomain && op.equals("Attention")) {
            return attention(n);
        }
        if (msDomain && op.equals("MultiHeadAttention")) {
            return multiHeadAttention(n);
        }
        if (!defaultDomain && !(msDomain && (UNARY.contains(op) || BINARY.contains(op)))) {
            return unsupported(n);
        }
        if (UNARY.contains(op)) {
            Value[] outs = new Value[n.outputs().size()];
            int dt = COMPARISON.contains(op) ? Value.BOOL : x.dtype;
            outs[0] = Value.of(dt, x.shape);
            if (op.equals("Identity")) {
                outs[0] = x;
            } else if (x.isConst() && Set.of("Neg", "Abs", "Floor", "Ceil", "Sqrt", "Not", "Round").contains(op)) {
                outs[0] = foldUnary(op, x);
            }
            if (op.equals("LayerNormalization") && outs.length > 1 && x.hasRank()) {
                long axis = norm(attrInt(n, "axis", -1), x.rank());
                long[] s = x.shape.clone();
                for (int i = (int) axis; i < s.length; i++) {
                    s[i] = 1;
                }
                for (int i = 1; i < outs.length; i++) {
                    outs[i] = Value.of(Value.FLOAT, s);
                }
            } else {
                for (int i = 1; i < outs.length; i++) {
                    outs[i] = Value.of(op.equals("Dropout") ? Value.BOOL : x.dtype, x.shape);
                }
            }
            return new Result(outs);
        }
        if (BINARY.contains(op)) {
            return new Result(elementwise(n, op));
        }
        return switch (op) {
            case "Constant" -> new Result(constant(n));
            case "Shape" -> new Result(shapeOp(n, x));
            case "Size" -> new Result(x.fullyKnown() ? Value.ints(new long[0], x.numel()) : Value.of(Value.INT64, new long[0]));
            case "Cast", "CastLike" -> new Result(cast(n, x));
            case "Gather" -> new Result(gather(n, x));
            case "Unsqueeze" -> new Result(unsqueeze(n, x));
            case "Squeeze" -> new Result(squeeze(n, x));
            case "Concat" -> new Result(concat(n));
            case "Reshape" -> new Result(reshape(n, x));
            case "Flatten" -> new Result(flatten(n, x));
            case "Transpose" -> new Result(transpose(n, x));
            case "Split" -> new Result(split(n, x));
            case "Slice" -> new Result(slice(n, x));
            case "Expand" -> new Result(expand(n, x));
            case "ConstantOfShape" -> new Result(constantOfShape(n));
            case "Range" -> new Result(range(n));
            case "Resize", "Upsample" -> new Result(resize(n, x));
            case "Pad" -> new Result(pad(n, x));
            case "Tile" -> new Result(tile(n, x));
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                    "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin" -> new Result(reduce(n, x));
            case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> new Result(globalPool(x));
            case "MaxPool", "AveragePool", "LpPool" -> new Result(pool(n, x));
            case "NonZero" -> new Result(Value.of(Value.INT64, x.hasRank() ? new long[] {x.rank(), -1} : null));
            case "Conv" -> conv(n, x);
            case "ConvTranspose" -> convTranspose(n, x);
            case "MatMul" -> matmul(x, in(n, 1));
            case "Gemm" -> gemm(n, x, in(n, 1));
            case "Einsum" -> einsum(n);
            default -> unsupported(n);
        };
    }

    private Result unsupported(Node n) {
        Result r = new Result();
        r.problem = "unsupported op (output shapes unknown)";
        return r;
    }

    private static int norm(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new ShapeException("axis " + axis + " out of range for rank " + rank);
        }
        return (int) a;
    }

    // ------------------------------------------------------------------ constants and folding

    private Value constant(Node n) {
        for (Attribute a : n.attributes().values()) {
            switch (a.name()) {
                case "value" -> {
                    Tensor t = a.t();
                    return Value.constant(t.dataType(), t.dims(), t.intValues(), t.floatValues());
                }
                case "value_float" -> {
                    return Value.constant(Value.FLOAT, new long[0], null, new double[] {a.f()});
                }
                case "value_floats" -> {
                    double[] d = new double[a.floats().length];
                    for (int i = 0; i < d.length; i++) {
                        d[i] = a.floats()[i];
                    }
                    return Value.constant(Value.FLOAT, new long[] {d.length}, null, d);
                }
                case "value_int" -> {
                    return Value.ints(new long[0], a.i());
                }
                case "value_ints" -> {
                    return Value.ints(new long[] {a.ints().length}, a.ints().clone());
                }
                default -> {
                }
            }
        }
        return Value.unknown(0);
    }

    private Value shapeOp(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.of(Value.INT64, new long[] {-1});
        }
        int r = x.rank();
        long start = attrInt(n, "start", 0);
        long end = attrInt(n, "end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] s = Arrays.copyOfRange(x.shape, (int) start, (int) Math.max(start, end));
        for (long d : s) {
            if (d < 0) {
                return Value.of(Value.INT64, new long[] {s.length});
            }
        }
        return Value.ints(new long[] {s.length}, s);
    }

    private Value cast(Node n, Value x) {
        int to = n.opType().equals("CastLike") ? in(n, 1).dtype : (int) attrInt(n, "to", 0);
        if (!x.isConst()) {
            return Value.of(to, x.shape);
        }
        if (OnnxModel.isFloatingType(to)) {
            return Value.constant(to, x.shape, null, x.doubles());
        }
        if (to == Value.BOOL) {
            double[] d = x.doubles();
            long[] b = new long[d.length];
            for (int i = 0; i < d.length; i++) {
                b[i] = d[i] != 0 ? 1 : 0;
            }
            return Value.constant(to, x.shape, b, null);
        }
        return Value.constant(to, x.shape, x.longs(), null);
    }

    private static Value foldUnary(String op, Value x) {
        if (x.ints != null) {
            long[] r = x.ints.clone();
            for (int i = 0; i < r.length; i++) {
                r[i] = switch (op) {
                    case "Neg" -> -r[i];
                    case "Abs" -> Math.abs(r[i]);
                    case "Not" -> r[i] == 0 ? 1 : 0;
                    case "Sqrt" -> (long) Math.sqrt(r[i]);
                    default -> r[i];
                };
            }
            return Value.constant(x.dtype, x.shape, r, null);
        }
        double[] r = x.floats.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] = switch (op) {
                case "Neg" -> -r[i];
                case "Abs" -> Math.abs(r[i]);
                case "Floor" -> Math.floor(r[i]);
                case "Ceil" -> Math.ceil(r[i]);
                case "Round" -> Math.rint(r[i]);
                case "Sqrt" -> Math.sqrt(r[i]);
                default -> r[i];
            };
        }
        return Value.constant(x.dtype, x.shape, null, r);
    }

    static long[] broadcast(long[] a, long[] b) {
        if (a == null || b == null) {
            return null;
        }
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.length);
            int ib = i - (r - b.length);
            long da = ia >= 0 ? a[ia] : 1;
            long db = ib >= 0 ? b[ib] : 1;
            if (da == 1) {
                out[i] = db;
            } else if (db == 1) {
                out[i] = da;
            } else if (da < 0) {
                out[i] = db;
            } else if (db < 0 || da == db) {
                out[i] = da;
            } else {
                throw new ShapeException("cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b));
            }
        }
        return out;
    }

    /** Flat index into a tensor of shape {@code in} for output index {@code idx} under broadcasting. */
    private static int broadcastIndex(long[] idx, long[] in) {
        int off = idx.length - in.length;
        long flat = 0;
        for (int i = 0; i < in.length; i++) {
            long c = in[i] == 1 ? 0 : idx[i + off];
            flat = flat * in[i] + c;
        }
        return (int) flat;
    }

    private static boolean next(long[] idx, long[] shape) {
        for (int i = shape.length - 1; i >= 0; i--) {
            if (++idx[i] < shape[i]) {
                return true;
            }
            idx[i] = 0;
        }
        return false;
    }

    private Value elementwise(Node n, String op) {
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            if (present(n, i)) {
                ins.add(in(n, i));
            }
        }
        long[] shape = ins.get(0).shape;
        for (int i = 1; i < ins.size(); i++) {
            shape = broadcast(shape, ins.get(i).shape);
        }
        int dtype = COMPARISON.contains(op) ? Value.BOOL : op.equals("Where") ? ins.get(1).dtype : ins.get(0).dtype;
        boolean allConst = ins.stream().allMatch(Value::isConst);
        if (!allConst || shape == null || Value.product(shape, 0, shape.length) < 0
                || Value.product(shape, 0, shape.length) > Value.CONST_LIMIT || ins.size() > 3) {
            return Value.of(dtype, shape);
        }
        int count = (int) Value.product(shape, 0, shape.length);
        boolean fl = !COMPARISON.contains(op) && OnnxModel.isFloatingType(dtype);
        long[] ri = fl ? null : new long[count];
        double[] rf = fl ? new double[count] : null;
        long[] idx = new long[shape.length];
        for (int k = 0; k < count; k++) {
            if (op.equals("Where")) {
                Value c = ins.get(0);
                boolean cond = c.longs()[broadcastIndex(idx, c.shape)] != 0;
                Value pick = cond ? ins.get(1) : ins.get(2);
                int j = broadcastIndex(idx, pick.shape);
                if (fl) {
                    rf[k] = pick.doubles()[j];
                } else {
                    ri[k] = pick.longs()[j];
                }
            } else {
                Value a = ins.get(0);
                Value b = ins.size() > 1 ? ins.get(1) : a;
                int ja = broadcastIndex(idx, a.shape);
                int jb = broadcastIndex(idx, b.shape);
                boolean floatMath = fl || a.floats != null || b.floats != null;
                if (floatMath) {
                    double p = a.doubles()[ja];
                    double q = b.doubles()[jb];
                    double v = switch (op) {
                        case "Add", "Sum" -> p + q;
                        case "Sub" -> p - q;
                        case "Mul" -> p * q;
                        case "Div" -> p / q;
                        case "Pow" -> Math.pow(p, q);
                        case "Max" -> Math.max(p, q);
                        case "Min" -> Math.min(p, q);
                        case "Mean" -> (p + q) / 2;
                        case "Mod" -> p % q;
                        case "Equal" -> p == q ? 1 : 0;
                        case "Less" -> p < q ? 1 : 0;
                        case "Greater" -> p > q ? 1 : 0;
                        case "LessOrEqual" -> p <= q ? 1 : 0;
                        case "GreaterOrEqual" -> p >= q ? 1 : 0;
                        default -> throw new ShapeException("cannot fold " + op);
                    };
                    if (fl) {
                        rf[k] = v;
                    } else {
                        ri[k] = (long) v;
                    }
                } else {
                    long p = a.longs()[ja];
                    long q = b.longs()[jb];
                    ri[k] = switch (op) {
                        case "Add", "Sum" -> p + q;
                        case "Sub" -> p - q;
                        case "Mul" -> p * q;
                        case "Div" -> {
                            if (q == 0) {
                                throw new ShapeException("integer division by zero");
                            }
                            yield p / q;
                        }
                        case "Pow" -> (long) Math.pow(p, q);
                        case "Max" -> Math.max(p, q);
                        case "Min" -> Math.min(p, q);
                        case "Mean" -> (p + q) / 2;
                        case "Mod" -> q == 0 ? 0 : Math.floorMod(p, q);
                        case "Equal" -> p == q ? 1 : 0;
                        case "Less" -> p < q ? 1 : 0;
                        case "Greater" -> p > q ? 1 : 0;
                        case "LessOrEqual" -> p <= q ? 1 : 0;
                        case "GreaterOrEqual" -> p >= q ? 1 : 0;
                        case "And" -> (p != 0 && q != 0) ? 1 : 0;
                        case "Or" -> (p != 0 || q != 0) ? 1 : 0;
                        case "Xor" -> ((p != 0) ^ (q != 0)) ? 1 : 0;
                        default -> throw new ShapeException("cannot fold " + op);
                    };
                }
            }
            next(idx, shape);
        }
        return Value.constant(dtype, shape, ri, rf);
    }

    private Value gather(Node n, Value data) {
        Value idx = in(n, 1);
        if (!data.hasRank() || !idx.hasRank()) {
            return Value.unknown(data.dtype);
        }
        int axis = norm(attrInt(n, "axis", 0), data.rank());
        long[] s = new long[data.rank() - 1 + idx.rank()];
        int p = 0;
        for (int i = 0; i < axis; i++) {
            s[p++] = data.shape[i];
        }
        for (long d : idx.shape) {
            s[p++] = d;
        }
        for (int i = axis + 1; i < data.rank(); i++) {
            s[p++] = data.shape[i];
        }
        long count = Value.product(s, 0, s.length);
        if (!data.isConst() || !idx.isConst() || count < 0 || count > Value.CONST_LIMIT) {
            return Value.of(data.dtype, s);
        }
        long outer = Value.product(data.shape, 0, axis);
        long inner = Value.product(data.shape, axis + 1, data.rank());
        long dimAxis = data.shape[axis];
        long[] ix = idx.longs();
        long[] ri = data.ints != null ? new long[(int) count] : null;
        double[] rf = data.ints == null ? new double[(int) count] : null;
        int q = 0;
        for (long o = 0; o < outer; o++) {
            for (long j : ix) {
                long jj = j < 0 ? j + dimAxis : j;
                if (jj < 0 || jj >= dimAxis) {
                    throw new ShapeException("Gather index " + j + " out of range " + dimAxis);
                }
                for (long i = 0; i < inner; i++) {
                    int src = (int) ((o * dimAxis + jj) * inner + i);
                    if (ri != null) {
                        ri[q++] = data.ints[src];
                    } else {
                        rf[q++] = data.floats[src];
                    }
                }
            }
        }
        return Value.constant(data.dtype, s, ri, rf);
    }

    private Value unsqueeze(Node n, Value x) {
        long[] axes = intsFrom(n, 1, "axes");
        if (axes == null || !x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        int r = x.rank() + axes.length;
        boolean[] ins = new boolean[r];
        for (long a : axes) {
            ins[norm(a, r)] = true;
        }
        long[] s = new long[r];
        for (int i = 0, j = 0; i < r; i++) {
            s[i] = ins[i] ? 1 : x.shape[j++];
        }
        return Value.constant(x.dtype, s, x.ints, x.floats);
    }

    private Value squeeze(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] axes = intsFrom(n, 1, "axes");
        if (axes == null && (present(n, 1) || (n.attribute("axes") == null && !x.fullyKnown()))) {
            return Value.unknown(x.dtype);
        }
        boolean[] drop = new boolean[x.rank()];
        if (axes == null) {
            for (int i = 0; i < drop.length; i++) {
                drop[i] = x.shape[i] == 1;
            }
        } else {
            for (long a : axes) {
                drop[norm(a, x.rank())] = true;
            }
        }
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < drop.length; i++) {
            if (!drop[i]) {
                s.add(x.shape[i]);
            }
        }
        return Value.constant(x.dtype, s.stream().mapToLong(Long::longValue).toArray(), x.ints, x.floats);
    }

    private Value concat(Node n) {
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            if (present(n, i)) {
                ins.add(in(n, i));
            }
        }
        Value first = ins.stream().filter(Value::hasRank).findFirst().orElse(null);
        int dtype = ins.get(0).dtype;
        if (first == null) {
            return Value.unknown(dtype);
        }
        int axis = norm(attrInt(n, "axis", 0), first.rank());
        long[] s = first.shape.clone();
        long sum = 0;
        for (Value v : ins) {
            if (!v.hasRank()) {
                sum = -1;
                continue;
            }
            if (v.rank() != s.length) {
                throw new ShapeException("Concat of ranks " + v.rank() + " and " + s.length);
            }
            for (int i = 0; i < s.length; i++) {
                if (i != axis && s[i] < 0) {
                    s[i] = v.shape[i];
                }
            }
            if (sum >= 0) {
                sum = v.shape[axis] < 0 ? -1 : sum + v.shape[axis];
            }
        }
        s[axis] = sum;
        boolean allConst = ins.stream().allMatch(Value::isConst);
        if (!allConst || s.length != 1) {
            return Value.of(dtype, s);
        }
        boolean fl = OnnxModel.isFloatingType(dtype);
        List<Long> li = new ArrayList<>();
        List<Double> lf = new ArrayList<>();
        for (Value v : ins) {
            if (fl) {
                for (double d : v.doubles()) {
                    lf.add(d);
                }
            } else {
                for (long d : v.longs()) {
                    li.add(d);
                }
            }
        }
        return Value.constant(dtype, s, fl ? null : li.stream().mapToLong(Long::longValue).toArray(),
                fl ? lf.stream().mapToDouble(Double::doubleValue).toArray() : null);
    }

    private Value reshape(Node n, Value x) {
        long[] target = intsFrom(n, 1, "shape");
        if (target == null) {
            Value sv = in(n, 1);
            if (sv != null && sv.fullyKnown() && sv.rank() == 1) {
                long[] s = new long[(int) sv.shape[0]];
                Arrays.fill(s, -1);
                return Value.of(x.dtype, s);
            }
            return Value.unknown(x.dtype);
        }
        boolean allowZero = attrInt(n, "allowzero", 0) != 0;
        long[] s = new long[target.length];
        int inferAt = -1;
        boolean unknown = false;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            long t = target[i];
            if (t == 0 && !allowZero) {
                t = x.hasRank() && i < x.rank() ? x.shape[i] : -2;
            }
            if (target[i] == -1) {
                if (inferAt >= 0) {
                    throw new ShapeException("Reshape with two -1 dims");
                }
                inferAt = i;
                s[i] = -1;
                continue;
            }
            if (t < 0) {
                unknown = true;
                s[i] = -1;
                continue;
            }
            s[i] = t;
            known = Math.multiplyExact(known, t);
        }
        if (inferAt >= 0 && !unknown) {
            long total = x.numel();
            if (total >= 0) {
                if (known == 0 || total % known != 0) {
                    throw new ShapeException("cannot reshape " + Arrays.toString(x.shape) + " to " + Arrays.toString(target));
                }
                s[inferAt] = total / known;
            }
        }
        return Value.constant(x.dtype, s, x.ints, x.floats);
    }

    private Value flatten(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long a = attrInt(n, "axis", 1);
        int axis = (int) (a < 0 ? a + x.rank() : a);
        return Value.constant(x.dtype, new long[] {Value.product(x.shape, 0, axis), Value.product(x.shape, axis, x.rank())},
                x.ints, x.floats);
    }

    private Value transpose(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] perm = attrInts(n, "perm");
        long[] s = new long[x.rank()];
        for (int i = 0; i < s.length; i++) {
            s[i] = x.shape[perm == null ? s.length - 1 - i : (int) perm[i]];
        }
        return x.isConst() && x.rank() <= 1 ? Value.constant(x.dtype, s, x.ints, x.floats) : Value.of(x.dtype, s);
    }

    private Value[] split(Node n, Value x) {
        int outs = n.outputs().size();
        Value[] r = new Value[outs];
        if (!x.hasRank()) {
            Arrays.fill(r, Value.unknown(x.dtype));
            return r;
        }
        int axis = norm(attrInt(n, "axis", 0), x.rank());
        long[] sizes = intsFrom(n, 1, "split");
        long dim = x.shape[axis];
        if (sizes == null && !present(n, 1) && dim >= 0) {
            sizes = new long[outs];
            long each = (dim + outs - 1) / outs; // opset 18 num_outputs: last chunk may be smaller
            for (int i = 0; i < outs; i++) {
                sizes[i] = Math.max(0, Math.min(each, dim - i * each));
            }
        }
        for (int i = 0; i < outs; i++) {
            long[] s = x.shape.clone();
            s[axis] = sizes == null ? -1 : sizes[i];
            r[i] = Value.of(x.dtype, s);
        }
        return r;
    }

    private Value slice(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (n.inputs().size() == 1) { // opset < 10: attributes
            starts = attrInts(n, "starts");
            ends = attrInts(n, "ends");
            axes = attrInts(n, "axes");
        } else {
            starts = intsFrom(n, 1, "-");
            ends = intsFrom(n, 2, "-");
            axes = present(n, 3) ? intsFrom(n, 3, "-") : null;
            steps = present(n, 4) ? intsFrom(n, 4, "-") : null;
            if ((present(n, 3) && axes == null) || (present(n, 4) && steps == null)) {
                return Value.of(x.dtype, unknownDims(x.rank()));
            }
        }
        if (starts == null || ends == null) {
            return Value.of(x.dtype, unknownDims(x.rank()));
        }
        long[] s = x.shape.clone();
        long[] from = new long[s.length];
        long[] step = new long[s.length];
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = axes == null ? i : norm(axes[i], s.length);
            long st = steps == null ? 1 : steps[i];
            if (st == 0) {
                throw new ShapeException("Slice step 0");
            }
            long d = x.shape[a];
            if (d < 0) {
                s[a] = -1;
                continue;
            }
            long b = starts[i];
            long e = ends[i];
            b = b < 0 ? b + d : b;
            e = e < 0 && e > Long.MIN_VALUE / 2 ? e + d : e;
            long len;
            if (st > 0) {
                b = clamp(b, 0, d);
                e = clamp(e, 0, d);
                len = e > b ? (e - b + st - 1) / st : 0;
            } else {
                b = clamp(b, 0, d - 1);
                e = clamp(e, -1, d - 1);
                len = b > e ? (b - e + (-st) - 1) / (-st) : 0;
            }
            s[a] = len;
            from[a] = b;
            step[a] = st;
        }
        if (x.isConst() && x.rank() == 1 && s[0] >= 0) {
            int len = (int) s[0];
            if (x.ints != null) {
                long[] r = new long[len];
                for (int i = 0; i < len; i++) {
                    r[i] = x.ints[(int) (from[0] + i * step[0])];
                }
                return Value.constant(x.dtype, s, r, null);
            }
            double[] r = new double[len];
            for (int i = 0; i < len; i++) {
                r[i] = x.floats[(int) (from[0] + i * step[0])];
            }
            return Value.constant(x.dtype, s, null, r);
        }
        return Value.of(x.dtype, s);
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static long[] unknownDims(int rank) {
        long[] s = new long[rank];
        Arrays.fill(s, -1);
        return s;
    }

    private Value expand(Node n, Value x) {
        long[] target = intsFrom(n, 1, "-");
        if (target == null) {
            return Value.unknown(x.dtype);
        }
        long[] s = broadcast(x.shape, target);
        if (s == null || !x.isConst()) {
            return Value.of(x.dtype, s);
        }
        long count = Value.product(s, 0, s.length);
        if (count < 0 || count > Value.CONST_LIMIT) {
            return Value.of(x.dtype, s);
        }
        long[] idx = new long[s.length];
        long[] ri = x.ints != null ? new long[(int) count] : null;
        double[] rf = x.ints == null ? new double[(int) count] : null;
        for (int k = 0; k < count; k++) {
            int j = broadcastIndex(idx, x.shape);
            if (ri != null) {
                ri[k] = x.ints[j];
            } else {
                rf[k] = x.floats[j];
            }
            next(idx, s);
        }
        return Value.constant(x.dtype, s, ri, rf);
    }

    private Value constantOfShape(Node n) {
        Value sv = in(n, 0);
        Attribute a = n.attribute("value");
        int dtype = a == null ? Value.FLOAT : a.t().dataType();
        long[] s = sv.isConst() ? sv.longs() : null;
        if (s == null) {
            return sv.fullyKnown() && sv.rank() == 1 ? Value.of(dtype, unknownDims((int) sv.shape[0])) : Value.unknown(dtype);
        }
        long count = Value.product(s, 0, s.length);
        if (count > Value.CONST_LIMIT || count < 0) {
            return Value.of(dtype, s);
        }
        double fill = 0;
        if (a != null) {
            Tensor t = a.t();
            if (t.floatValues() != null && t.floatValues().length > 0) {
                fill = t.floatValues()[0];
            } else if (t.intValues() != null && t.intValues().length > 0) {
                fill = t.intValues()[0];
            } else {
                return Value.of(dtype, s);
            }
        }
        if (OnnxModel.isFloatingType(dtype)) {
            double[] v = new double[(int) count];
            Arrays.fill(v, fill);
            return Value.constant(dtype, s, null, v);
        }
        long[] v = new long[(int) count];
        Arrays.fill(v, (long) fill);
        return Value.constant(dtype, s, v, null);
    }

    private Value range(Node n) {
        Value a = in(n, 0);
        Value b = in(n, 1);
        Value c = in(n, 2);
        int dtype = a.dtype;
        if (!a.isConst() || !b.isConst() || !c.isConst()) {
            return Value.of(dtype, new long[] {-1});
        }
        double start = a.doubles()[0];
        double limit = b.doubles()[0];
        double delta = c.doubles()[0];
        if (delta == 0) {
            throw new ShapeException("Range delta 0");
        }
        long len = Math.max((long) Math.ceil((limit - start) / delta), 0);
        if (len > Value.CONST_LIMIT) {
            return Value.of(dtype, new long[] {len});
        }
        if (OnnxModel.isFloatingType(dtype)) {
            double[] v = new double[(int) len];
            for (int i = 0; i < len; i++) {
                v[i] = start + i * delta;
            }
            return Value.constant(dtype, new long[] {len}, null, v);
        }
        long[] v = new long[(int) len];
        long s0 = a.longs()[0];
        long d0 = c.longs()[0];
        for (int i = 0; i < len; i++) {
            v[i] = s0 + i * d0;
        }
        return Value.constant(dtype, new long[] {len}, v, null);
    }

    private Value resize(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        double[] scales = null;
        long[] sizes = null;
        if (n.opType().equals("Upsample") || n.inputs().size() == 2) { // Upsample, or opset-10 Resize(X, scales)
            if (present(n, 1)) {
                Value sv = in(n, 1);
                scales = sv.isConst() ? sv.doubles() : null;
            } else if (n.attribute("scales") != null) {
                float[] f = n.attribute("scales").floats();
                scales = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    scales[i] = f[i];
                }
            }
        } else {
            Value sizesV = in(n, 3);
            Value scalesV = in(n, 2);
            if (sizesV != null && sizesV.isConst() && sizesV.longs().length > 0) {
                sizes = sizesV.longs();
            } else if (scalesV != null && scalesV.isConst() && scalesV.doubles().length > 0) {
                scales = scalesV.doubles();
            }
        }
        long[] axes = attrInts(n, "axes");
        long[] s = x.shape.clone();
        if (sizes == null && scales == null) {
            return Value.of(x.dtype, unknownDims(x.rank()));
        }
        int count = sizes != null ? sizes.length : scales.length;
        for (int i = 0; i < count; i++) {
            int a = axes == null ? i : norm(axes[i], s.length);
            if (sizes != null) {
                s[a] = sizes[i];
            } else {
                s[a] = x.shape[a] < 0 ? -1 : (long) Math.floor(x.shape[a] * scales[i]);
            }
        }
        return Value.of(x.dtype, s);
    }

    private Value pad(Node n, Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] pads = present(n, 1) ? intsFrom(n, 1, "-") : attrInts(n, "pads");
        if (pads == null) {
            return Value.of(x.dtype, unknownDims(x.rank()));
        }
        long[] axes = present(n, 3) ? intsFrom(n, 3, "-") : null;
        long[] s = x.shape.clone();
        int k = pads.length / 2;
        for (int i = 0; i < k; i++) {
            int a = axes == null ? i : norm(axes[i], s.length);
            s[a] = s[a] < 0 ? -1 : s[a] + pads[i] + pads[i + k];
        }
        return Value.of(x.dtype, s);
    }

    private Value tile(Node n, Value x) {
        long[] reps = intsFrom(n, 1, "-");
        if (reps == null || !x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] s = x.shape.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] < 0 ? -1 : s[i] * reps[i];
        }
        return Value.of(x.dtype, s);
    }

    private Value reduce(Node n, Value x) {
        boolean arg = n.opType().startsWith("Arg");
        int dtype = arg ? Value.INT64 : x.dtype;
        if (!x.hasRank()) {
            return Value.unknown(dtype);
        }
        boolean keep = attrInt(n, "keepdims", 1) != 0;
        long[] axes;
        if (arg) {
            axes = new long[] {attrInt(n, "axis", 0)};
        } else if (present(n, 1)) {
            axes = intsFrom(n, 1, "-");
            if (axes == null) {
                return Value.unknown(dtype);
            }
        } else {
            axes = attrInts(n, "axes");
        }
        boolean[] red = new boolean[x.rank()];
        if (axes == null || axes.length == 0) {
            if (attrInt(n, "noop_with_empty_axes", 0) != 0) {
                return Value.of(dtype, x.shape);
            }
            Arrays.fill(red, true);
        } else {
            for (long a : axes) {
                red[norm(a, x.rank())] = true;
            }
        }
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < red.length; i++) {
            if (!red[i]) {
                s.add(x.shape[i]);
            } else if (keep) {
                s.add(1L);
            }
        }
        return Value.of(dtype, s.stream().mapToLong(Long::longValue).toArray());
    }

    private Value globalPool(Value x) {
        if (!x.hasRank()) {
            return Value.unknown(x.dtype);
        }
        long[] s = x.shape.clone();
        for (int i = 2; i < s.length; i++) {
            s[i] = 1;
        }
        return Value.of(x.dtype, s);
    }

    private Value[] pool(Node n, Value x) {
        Value[] r = new Value[n.outputs().size()];
        long[] k = attrInts(n, "kernel_shape");
        if (!x.hasRank() || k == null) {
            Arrays.fill(r, Value.unknown(x.dtype));
            return r;
        }
        long[] s = windowed(n, x, k, x.shape[1], attrInt(n, "ceil_mode", 0) != 0);
        r[0] = Value.of(x.dtype, s);
        for (int i = 1; i < r.length; i++) {
            r[i] = Value.of(Value.INT64, s);
        }
        return r;
    }

    /** Output shape of a convolution-like window op: [N, channels, spatial...]. */
    private long[] windowed(Node n, Value x, long[] kernel, long channels, boolean ceil) {
        int sp = x.rank() - 2;
        if (kernel.length != sp) {
            throw new ShapeException("kernel rank " + kernel.length + " for input rank " + x.rank());
        }
        long[] strides = orOnes(attrInts(n, "strides"), sp);
        long[] dil = orOnes(attrInts(n, "dilations"), sp);
        long[] pads = attrInts(n, "pads");
        String autoPad = attrString(n, "auto_pad", "NOTSET");
        long[] s = new long[x.rank()];
        s[0] = x.shape[0];
        s[1] = channels;
        for (int i = 0; i < sp; i++) {
            long in = x.shape[i + 2];
            if (in < 0) {
                s[i + 2] = -1;
                continue;
            }
            long eff = dil[i] * (kernel[i] - 1) + 1;
            switch (autoPad) {
                case "SAME_UPPER", "SAME_LOWER" -> s[i + 2] = (in + strides[i] - 1) / strides[i];
                case "VALID" -> s[i + 2] = (in - eff) / strides[i] + 1;
                default -> {
                    long pb = pads == null ? 0 : pads[i];
                    long pe = pads == null ? 0 : pads[i + sp];
                    long num = in + pb + pe - eff;
                    s[i + 2] = (ceil ? Math.floorDiv(num + strides[i] - 1, strides[i]) : Math.floorDiv(num, strides[i])) + 1;
                }
            }
            if (s[i + 2] < 0) {
                throw new ShapeException("negative output size " + s[i + 2]);
            }
        }
        return s;
    }

    private static long[] orOnes(long[] a, int n) {
        if (a != null && a.length > 0) {
            return a;
        }
        long[] r = new long[n];
        Arrays.fill(r, 1);
        return r;
    }

    // ------------------------------------------------------------------ counted ops

    private static Result counted(Value out, Long macs) {
        Result r = new Result(out);
        if (macs == null) {
            r.problem = "unknown input shapes";
        } else {
            r.macs = macs;
        }
        return r;
    }

    private Result conv(Node n, Value x) {
        Value w = in(n, 1);
        if (!x.hasRank() || !w.fullyKnown()) {
            return counted(Value.unknown(x.dtype), null);
        }
        long[] kernel = attrInts(n, "kernel_shape");
        if (kernel == null || kernel.length == 0) {
            kernel = Arrays.copyOfRange(w.shape, 2, w.rank());
        }
        long group = attrInt(n, "group", 1);
        if (x.shape[1] >= 0 && x.shape[1] != w.shape[1] * group) {
            throw new ShapeException("Conv input channels " + x.shape[1] + " != " + w.shape[1] + " x group " + group);
        }
        Value out = Value.of(x.dtype, windowed(n, x, kernel, w.shape[0], false));
        long o = out.numel();
        if (o < 0) {
            return counted(out, null);
        }
        return counted(out, Math.multiplyExact(Math.multiplyExact(o, w.shape[1]), Value.product(kernel, 0, kernel.length)));
    }

    private Result convTranspose(Node n, Value x) {
        Value w = in(n, 1);
        if (!x.hasRank() || !w.fullyKnown()) {
            return counted(Value.unknown(x.dtype), null);
        }
        int sp = x.rank() - 2;
        long group = attrInt(n, "group", 1);
        long[] kernel = attrInts(n, "kernel_shape");
        if (kernel == null || kernel.length == 0) {
            kernel = Arrays.copyOfRange(w.shape, 2, w.rank());
        }
        long[] strides = orOnes(attrInts(n, "strides"), sp);
        long[] dil = orOnes(attrInts(n, "dilations"), sp);
        long[] pads = attrInts(n, "pads");
        long[] outPad = attrInts(n, "output_padding");
        long[] outShape = attrInts(n, "output_shape");
        String autoPad = attrString(n, "auto_pad", "NOTSET");
        long[] s = new long[x.rank()];
        s[0] = x.shape[0];
        s[1] = w.shape[1] * group;
        for (int i = 0; i < sp; i++) {
            long in = x.shape[i + 2];
            if (outShape != null && outShape.length > 0) {
                s[i + 2] = outShape[outShape.length - sp + i];
            } else if (in < 0) {
                s[i + 2] = -1;
            } else if (autoPad.startsWith("SAME")) {
                s[i + 2] = in * strides[i];
            } else {
                long pb = pads == null || autoPad.equals("VALID") ? 0 : pads[i];
                long pe = pads == null || autoPad.equals("VALID") ? 0 : pads[i + sp];
                long op = outPad == null || outPad.length == 0 ? 0 : outPad[i];
                s[i + 2] = strides[i] * (in - 1) + op + (kernel[i] - 1) * dil[i] + 1 - pb - pe;
            }
        }
        Value out = Value.of(x.dtype, s);
        long inCount = x.numel();
        if (inCount < 0) {
            return counted(out, null);
        }
        return counted(out, Math.multiplyExact(Math.multiplyExact(inCount, w.shape[1]), Value.product(kernel, 0, kernel.length)));
    }

    private Result matmul(Value a, Value b) {
        int dtype = a.dtype;
        if (!a.hasRank() || !b.hasRank() || a.rank() == 0 || b.rank() == 0) {
            return counted(Value.unknown(dtype), null);
        }
        long[] as = a.rank() == 1 ? new long[] {1, a.shape[0]} : a.shape;
        long[] bs = b.rank() == 1 ? new long[] {b.shape[0], 1} : b.shape;
        long m = as[as.length - 2];
        long k = as[as.length - 1];
        long k2 = bs[bs.length - 2];
        long nn = bs[bs.length - 1];
        if (k >= 0 && k2 >= 0 && k != k2) {
            throw new ShapeException("MatMul inner dims " + k + " and " + k2);
        }
        long[] batch = broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        List<Long> s = new ArrayList<>();
        for (long d : batch) {
            s.add(d);
        }
        if (a.rank() > 1) {
            s.add(m);
        }
        if (b.rank() > 1) {
            s.add(nn);
        }
        Value out = Value.of(dtype, s.stream().mapToLong(Long::longValue).toArray());
        long kk = k >= 0 ? k : k2;
        long bp = Value.product(batch, 0, batch.length);
        if (bp < 0 || m < 0 || nn < 0 || kk < 0) {
            return counted(out, null);
        }
        return counted(out, Math.multiplyExact(Math.multiplyExact(bp, m), Math.multiplyExact(nn, kk)));
    }

    private Result gemm(Node n, Value a, Value b) {
        if (!a.hasRank() || !b.hasRank() || a.rank() != 2 || b.rank() != 2) {
            return counted(Value.unknown(a.dtype), null);
        }
        boolean ta = attrInt(n, "transA", 0) != 0;
        boolean tb = attrInt(n, "transB", 0) != 0;
        long m = ta ? a.shape[1] : a.shape[0];
        long k = ta ? a.shape[0] : a.shape[1];
        long k2 = tb ? b.shape[1] : b.shape[0];
        long nn = tb ? b.shape[0] : b.shape[1];
        if (k >= 0 && k2 >= 0 && k != k2) {
            throw new ShapeException("Gemm inner dims " + k + " and " + k2);
        }
        Value out = Value.of(a.dtype, new long[] {m, nn});
        long kk = k >= 0 ? k : k2;
        if (m < 0 || nn < 0 || kk < 0) {
            return counted(out, null);
        }
        return counted(out, Math.multiplyExact(Math.multiplyExact(m, nn), kk));
    }

    private Result einsum(Node n) {
        String eq = attrString(n, "equation", "").replace(" ", "");
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            ins.add(in(n, i));
        }
        int dtype = ins.isEmpty() ? 0 : ins.get(0).dtype;
        String[] sides = eq.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != ins.size() || ins.stream().anyMatch(v -> !v.hasRank())) {
            return ins.size() >= 2 ? counted(Value.unknown(dtype), null) : new Result(Value.unknown(dtype));
        }
        // expand "..." into placeholder labels '0'..'9' (right-aligned broadcasting)
        int ell = 0;
        for (int i = 0; i < terms.length; i++) {
            if (terms[i].contains("...")) {
                ell = Math.max(ell, ins.get(i).rank() - (terms[i].length() - 3));
            }
        }
        StringBuilder ph = new StringBuilder();
        for (int i = 0; i < ell; i++) {
            ph.append((char) ('0' + i));
        }
        Map<Character, Long> size = new LinkedHashMap<>();
        Map<Character, Integer> occurrences = new TreeMap<>();
        for (int i = 0; i < terms.length; i++) {
            String t = terms[i];
            if (t.contains("...")) {
                int here = ins.get(i).rank() - (t.length() - 3);
                t = t.replace("...", ph.substring(ell - here));
            }
            if (t.length() != ins.get(i).rank()) {
                throw new ShapeException("Einsum term '" + terms[i] + "' for rank " + ins.get(i).rank());
            }
            for (int j = 0; j < t.length(); j++) {
                char c = t.charAt(j);
                long d = ins.get(i).shape[j];
                occurrences.merge(c, 1, Integer::sum);
                Long prev = size.get(c);
                if (prev == null || prev == 1 || prev < 0) {
                    size.put(c, d);
                }
            }
        }
        String outTerm;
        if (sides.length > 1) {
            outTerm = sides[1].replace("...", ph);
        } else {
            StringBuilder o = new StringBuilder(ph);
            occurrences.forEach((c, cnt) -> {
                if (cnt == 1 && !Character.isDigit(c)) {
                    o.append(c);
                }
            });
            outTerm = o.toString();
        }
        long[] s = new long[outTerm.length()];
        for (int j = 0; j < s.length; j++) {
            Long d = size.get(outTerm.charAt(j));
            s[j] = d == null ? -1 : d;
        }
        Value out = Value.of(dtype, s);
        if (ins.size() < 2) {
            return new Result(out);
        }
        long macs = 1;
        for (long d : size.values()) {
            if (d < 0) {
                return counted(out, null);
            }
            macs = Math.multiplyExact(macs, d);
        }
        return counted(out, macs);
    }

    private Result attention(Node n) {
        Value x = in(n, 0);
        Value w = in(n, 1);
        Value[] outs = new Value[n.outputs().size()];
        if (!x.fullyKnown() || x.rank() != 3 || !w.fullyKnown() || w.rank() != 2 || present(n, 4)) {
            outs[0] = Value.unknown(x.dtype);
            Result r = new Result(outs);
            r.problem = present(n, 4) ? "Attention with past state is not supported" : "unknown input shapes";
            return r;
        }
        long b = x.shape[0];
        long seq = x.shape[1];
        long hin = x.shape[2];
        long[] qkv = attrInts(n, "qkv_hidden_sizes");
        long hq;
        long hk;
        long hv;
        if (qkv != null && qkv.length == 3) {
            hq = qkv[0];
            hk = qkv[1];
            hv = qkv[2];
        } else {
            hq = hk = hv = w.shape[1] / 3;
        }
        outs[0] = Value.of(x.dtype, new long[] {b, seq, hv});
        long proj = Math.multiplyExact(Math.multiplyExact(b, seq), Math.multiplyExact(hin, hq + hk + hv));
        long attn = Math.multiplyExact(Math.multiplyExact(b, seq), Math.multiplyExact(seq, hq + hv));
        Result r = new Result(outs);
        r.macs = Math.addExact(proj, attn);
        return r;
    }

    private Result multiHeadAttention(Node n) {
        Value q = in(n, 0);
        Value k = in(n, 1);
        Value v = in(n, 2);
        Value[] outs = new Value[n.outputs().size()];
        outs[0] = Value.unknown(q.dtype);
        Result r = new Result(outs);
        if (k == null || v == null || !q.fullyKnown() || q.rank() != 3 || !k.fullyKnown() || !v.fullyKnown()
                || present(n, 6)) {
            r.problem = "unsupported MultiHeadAttention form (packed QKV, past state or unknown shapes)";
            return r;
        }
        long heads = attrInt(n, "num_heads", 0);
        long b = q.shape[0];
        long s = q.shape[1];
        long d = q.shape[2];
        long l;
        long dv;
        if (k.rank() == 3 && v.rank() == 3) {
            l = k.shape[1];
            dv = v.shape[2];
        } else if (k.rank() == 4 && v.rank() == 4) { // [B, heads, L, head_size]
            l = k.shape[2];
            dv = v.shape[1] * v.shape[3];
        } else {
            r.problem = "unsupported MultiHeadAttention key/value ranks";
            return r;
        }
        if (heads <= 0) {
            r.problem = "MultiHeadAttention without num_heads";
            return r;
        }
        outs[0] = Value.of(q.dtype, new long[] {b, s, dv});
        r.macs = Math.multiplyExact(Math.multiplyExact(b, s), Math.multiplyExact(l, d + dv));
        return r;
    }
}
