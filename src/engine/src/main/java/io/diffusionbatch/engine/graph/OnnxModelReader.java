package io.diffusionbatch.engine.graph;

import io.diffusionbatch.engine.graph.OnnxModel.Attribute;
import io.diffusionbatch.engine.graph.OnnxModel.Dim;
import io.diffusionbatch.engine.graph.OnnxModel.Graph;
import io.diffusionbatch.engine.graph.OnnxModel.Node;
import io.diffusionbatch.engine.graph.OnnxModel.Tensor;
import io.diffusionbatch.engine.graph.OnnxModel.ValueInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes {@link OnnxModel} from the protobuf wire format. Field numbers follow onnx.proto
 * (checked against onnx 1.12's generated descriptors). Repeated scalar fields are accepted both
 * packed and unpacked (onnx.proto is proto2, so writers differ). Stateless and thread-safe.
 */
final class OnnxModelReader {

    private OnnxModelReader() {
    }

    static OnnxModel read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("ONNX file " + file + " is " + size
                        + " bytes; a protobuf message must be smaller than 2 GiB (store weights as external data)");
            }
            ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                return parse(mapped);
            } catch (ProtoReader.ProtoException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        }
    }

    static OnnxModel parse(ByteBuffer bytes) {
        ProtoReader r = new ProtoReader(bytes);
        long ir = 0;
        String producer = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Graph graph = null;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> ir = r.readVarint();
                case 2 -> producer = r.readString();
                case 7 -> graph = graph(r.readMessage());
                case 8 -> {
                    ProtoReader o = r.readMessage();
                    String domain = "";
                    long version = 0;
                    while (o.hasMore()) {
                        int t = o.readTag();
                        switch (ProtoReader.field(t)) {
                            case 1 -> domain = o.readString();
                            case 2 -> version = o.readVarint();
                            default -> o.skip(t);
                        }
                    }
                    opsets.put(domain, version);
                }
                default -> r.skip(tag);
            }
        }
        if (graph == null) {
            throw new ProtoReader.ProtoException("ModelProto has no graph (field 7); is this an ONNX model?");
        }
        return new OnnxModel(ir, producer, Collections.unmodifiableMap(opsets), graph);
    }

    private static Graph graph(ProtoReader r) {
        String name = "";
        List<Node> nodes = new ArrayList<>();
        List<Tensor> inits = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        List<ValueInfo> infos = new ArrayList<>();
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> nodes.add(node(r.readMessage()));
                case 2 -> name = r.readString();
                case 5 -> inits.add(tensor(r.readMessage()));
                case 11 -> inputs.add(valueInfo(r.readMessage()));
                case 12 -> outputs.add(valueInfo(r.readMessage()));
                case 13 -> infos.add(valueInfo(r.readMessage()));
                default -> r.skip(tag);
            }
        }
        return new Graph(name, List.copyOf(nodes), List.copyOf(inits), List.copyOf(inputs), List.copyOf(outputs),
                List.copyOf(infos));
    }

    private static Node node(ProtoReader r) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        String domain = "";
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        boolean sub = false;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> in.add(r.readString());
                case 2 -> out.add(r.readString());
                case 3 -> name = r.readString();
                case 4 -> op = r.readString();
                case 5 -> {
                    AttrResult a = attribute(r.readMessage());
                    attrs.put(a.attribute.name(), a.attribute);
                    sub |= a.hasGraph;
                }
                case 7 -> domain = r.readString();
                default -> r.skip(tag);
            }
        }
        return new Node(name, op, domain, List.copyOf(in), List.copyOf(out), Collections.unmodifiableMap(attrs), sub);
    }

    private record AttrResult(Attribute attribute, boolean hasGraph) {
    }

    private static AttrResult attribute(ProtoReader r) {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = "";
        Tensor t = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        boolean graph = false;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> name = r.readString();
                case 2 -> f = Float.intBitsToFloat(r.readFixed32());
                case 3 -> i = r.readVarint();
                case 4 -> s = r.readString();
                case 5 -> t = tensor(r.readMessage());
                case 6, 11 -> {
                    graph = true;
                    r.skip(tag);
                }
                case 7 -> readFloats(r, tag, floats);
                case 8 -> readVarints(r, tag, ints);
                case 20 -> type = (int) r.readVarint();
                default -> r.skip(tag);
            }
        }
        return new AttrResult(new Attribute(name, type, f, i, s, t, floats.toArray(), ints.toArray()), graph);
    }

    static Tensor tensor(ProtoReader r) {
        LongList dims = new LongList();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        LongList int64 = new LongList();
        LongList int32 = new LongList();
        FloatList floats = new FloatList();
        List<Double> doubles = new ArrayList<>();
        LongList uint64 = new LongList();
        int location = 0;
        Map<String, String> ext = new LinkedHashMap<>();
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> readVarints(r, tag, dims);
                case 2 -> dataType = (int) r.readVarint();
                case 4 -> readFloats(r, tag, floats);
                case 5 -> readVarints(r, tag, int32);
                case 7 -> readVarints(r, tag, int64);
                case 8 -> name = r.readString();
                case 9 -> raw = r.readMessage().remainingView(); // a view, never copied
                case 10 -> {
                    if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
                        ProtoReader p = r.readMessage();
                        while (p.hasMore()) {
                            doubles.add(Double.longBitsToDouble(p.readFixed64()));
                        }
                    } else {
                        doubles.add(Double.longBitsToDouble(r.readFixed64()));
                    }
                }
                case 11 -> readVarints(r, tag, uint64);
                case 13 -> {
                    ProtoReader e = r.readMessage();
                    String k = "";
                    String v = "";
                    while (e.hasMore()) {
                        int t = e.readTag();
                        switch (ProtoReader.field(t)) {
                            case 1 -> k = e.readString();
                            case 2 -> v = e.readString();
                            default -> e.skip(t);
                        }
                    }
                    ext.put(k, v);
                }
                case 14 -> location = (int) r.readVarint();
                default -> r.skip(tag);
            }
        }
        long[] d = dims.toArray();
        boolean external = location == 1;
        long count = 1;
        for (long x : d) {
            if (x < 0) {
                throw new ProtoReader.ProtoException("tensor '" + name + "' has negative dim " + x);
            }
            count = Math.multiplyExact(count, x);
        }
        long[] iv = null;
        double[] fv = null;
        if (!external && count <= Tensor.DECODE_LIMIT) {
            int n = (int) count;
            boolean fl = OnnxModel.isFloatingType(dataType);
            if (raw != null) {
                if (fl) {
                    fv = decodeRawFloats(raw, dataType, n);
                } else {
                    iv = decodeRawInts(raw, dataType, n);
                }
            } else if (fl) {
                if (dataType == 1 && floats.size() == n) {
                    fv = new double[n];
                    for (int k = 0; k < n; k++) {
                        fv[k] = floats.get(k);
                    }
                } else if (dataType == 11 && doubles.size() == n) {
                    fv = doubles.stream().mapToDouble(Double::doubleValue).toArray();
                } else if ((dataType == 10 || dataType == 16) && int32.size() == n) {
                    fv = new double[n];
                    for (int k = 0; k < n; k++) {
                        int bits = (int) int32.get(k) & 0xFFFF;
                        fv[k] = dataType == 10 ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
                    }
                }
            } else if (dataType == 7 && int64.size() == n) {
                iv = int64.toArray();
            } else if (dataType == 13 && uint64.size() == n) {
                iv = uint64.toArray();
            } else if (dataType != 8 && int32.size() == n) {
                iv = new long[n];
                for (int k = 0; k < n; k++) {
                    iv[k] = dataType == 12 ? int32.get(k) & 0xFFFFFFFFL : (int) int32.get(k);
                }
            }
        }
        return new Tensor(name, dataType, d, external, Collections.unmodifiableMap(ext), iv, fv);
    }

    private static double[] decodeRawFloats(ByteBuffer raw, int type, int n) {
        int size = switch (type) {
            case 1 -> 4;
            case 11 -> 8;
            case 10, 16 -> 2;
            default -> 0;
        };
        if (size == 0 || raw.remaining() != (long) size * n) {
            return null;
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = switch (type) {
                case 1 -> raw.getFloat(4 * k);
                case 11 -> raw.getDouble(8 * k);
                case 10 -> halfToFloat(raw.getShort(2 * k) & 0xFFFF);
                default -> Float.intBitsToFloat((raw.getShort(2 * k) & 0xFFFF) << 16);
            };
        }
        return v;
    }

    private static long[] decodeRawInts(ByteBuffer raw, int type, int n) {
        int size = switch (type) {
            case 7, 13 -> 8;
            case 6, 12 -> 4;
            case 5, 4 -> 2;
            case 3, 2, 9 -> 1;
            default -> 0;
        };
        if (size == 0 || raw.remaining() != (long) size * n) {
            return null;
        }
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
            v[k] = switch (type) {
                case 7, 13 -> raw.getLong(8 * k);
                case 6 -> raw.getInt(4 * k);
                case 12 -> raw.getInt(4 * k) & 0xFFFFFFFFL;
                case 5 -> raw.getShort(2 * k);
                case 4 -> raw.getShort(2 * k) & 0xFFFF;
                case 3 -> raw.get(k);
                default -> raw.get(k) & 0xFF;
            };
        }
        return v;
    }

    static float halfToFloat(int h) {
        int sign = (h >>> 15) & 1;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        float v;
        if (exp == 0) {
            v = mant * 0x1p-24f;
        } else if (exp == 31) {
            v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            v = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
        }
        return sign == 1 ? -v : v;
    }

    private static ValueInfo valueInfo(ProtoReader r) {
        String name = "";
        int elem = 0;
        List<Dim> dims = null;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (ProtoReader.field(tag)) {
                case 1 -> name = r.readString();
                case 2 -> {
                    ProtoReader type = r.readMessage();
                    while (type.hasMore()) {
                        int t = type.readTag();
                        if (ProtoReader.field(t) == 1) { // tensor_type
                            ProtoReader tt = type.readMessage();
                            while (tt.hasMore()) {
                                int u = tt.readTag();
                                switch (ProtoReader.field(u)) {
                                    case 1 -> elem = (int) tt.readVarint();
                                    case 2 -> dims = shape(tt.readMessage());
                                    default -> tt.skip(u);
                                }
                            }
                        } else {
                            type.skip(t);
                        }
                    }
                }
                default -> r.skip(tag);
            }
        }
        return new ValueInfo(name, elem, dims);
    }

    private static List<Dim> shape(ProtoReader r) {
        List<Dim> dims = new ArrayList<>();
        while (r.hasMore()) {
            int tag = r.readTag();
            if (ProtoReader.field(tag) == 1) {
                ProtoReader d = r.readMessage();
                long value = -1;
                String param = null;
                while (d.hasMore()) {
                    int t = d.readTag();
                    switch (ProtoReader.field(t)) {
                        case 1 -> value = d.readVarint();
                        case 2 -> param = d.readString();
                        default -> d.skip(t);
                    }
                }
                dims.add(new Dim(value, param));
            } else {
                r.skip(tag);
            }
        }
        return List.copyOf(dims);
    }

    private static void readVarints(ProtoReader r, int tag, LongList out) {
        if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
            ProtoReader p = r.readMessage();
            while (p.hasMore()) {
                out.add(p.readVarint());
            }
        } else {
            out.add(r.readVarint());
        }
    }

    private static void readFloats(ProtoReader r, int tag, FloatList out) {
        if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
            ProtoReader p = r.readMessage();
            while (p.hasMore()) {
                out.add(Float.intBitsToFloat(p.readFixed32()));
            }
        } else {
            out.add(Float.intBitsToFloat(r.readFixed32()));
        }
    }

    /** Growable long array; stops storing (but keeps counting) past a cap so huge fields cost no memory. */
    static final class LongList {
        private static final int CAP = 1 << 16;
        private long[] a = new long[8];
        private int n;

        void add(long v) {
            if (n < CAP) {
                if (n == a.length) {
                    a = java.util.Arrays.copyOf(a, n * 2);
                }
                a[n] = v;
            }
            n++;
        }

        int size() {
            return n;
        }

        long get(int i) {
            return a[i];
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, Math.min(n, CAP));
        }
    }

    static final class FloatList {
        private static final int CAP = 1 << 16;
        private float[] a = new float[8];
        private int n;

        void add(float v) {
            if (n < CAP) {
                if (n == a.length) {
                    a = java.util.Arrays.copyOf(a, n * 2);
                }
                a[n] = v;
            }
            n++;
        }

        int size() {
            return n;
        }

        float get(int i) {
            return a[i];
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, Math.min(n, CAP));
        }
    }
}
