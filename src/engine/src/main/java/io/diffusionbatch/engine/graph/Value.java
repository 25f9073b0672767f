package io.diffusionbatch.engine.graph;

import java.util.Arrays;

/**
 * What shape inference knows about one tensor value: element type, shape (null when even the rank
 * is unknown; -1 for an unknown dimension) and, for small constants, the values themselves
 * (integers and bools in {@code ints}, floating-point types in {@code floats}). Immutable.
 */
final class Value {

    static final int CONST_LIMIT = 4096;
    static final int INT64 = 7;
    static final int BOOL = 9;
    static final int FLOAT = 1;

    final int dtype;
    final long[] shape;
    final long[] ints;
    final double[] floats;

    private Value(int dtype, long[] shape, long[] ints, double[] floats) {
        this.dtype = dtype;
        this.shape = shape;
        this.ints = ints;
        this.floats = floats;
    }

    static Value unknown(int dtype) {
        return new Value(dtype, null, null, null);
    }

    static Value of(int dtype, long[] shape) {
        return new Value(dtype, shape, null, null);
    }

    /** A constant; values stored as ints or floats according to dtype. Null values: shape only. */
    static Value constant(int dtype, long[] shape, long[] ints, double[] floats) {
        if (ints == null && floats == null) {
            return of(dtype, shape);
        }
        if (OnnxModel.isFloatingType(dtype)) {
            double[] f = floats != null ? floats : Arrays.stream(ints).asDoubleStream().toArray();
            return new Value(dtype, shape, null, f);
        }
        long[] i = ints;
        if (i == null) {
            i = new long[floats.length];
            for (int k = 0; k < floats.length; k++) {
                i[k] = dtype == BOOL ? (floats[k] != 0 ? 1 : 0) : (long) floats[k];
            }
        }
        return new Value(dtype, shape, i, null);
    }

    static Value ints(long[] shape, long... v) {
        return new Value(INT64, shape, v, null);
    }

    boolean hasRank() {
        return shape != null;
    }

    int rank() {
        return shape.length;
    }

    boolean fullyKnown() {
        if (shape == null) {
            return false;
        }
        for (long d : shape) {
            if (d < 0) {
                return false;
            }
        }
        return true;
    }

    /** Number of elements, or -1 when not fully known. */
    long numel() {
        return fullyKnown() ? product(shape, 0, shape.length) : -1;
    }

    boolean isConst() {
        return ints != null || floats != null;
    }

    long[] longs() {
        if (ints != null) {
            return ints;
        }
        if (floats != null) {
            long[] r = new long[floats.length];
            for (int k = 0; k < r.length; k++) {
                r[k] = (long) floats[k];
            }
            return r;
        }
        return null;
    }

    double[] doubles() {
        if (floats != null) {
            return floats;
        }
        if (ints != null) {
            return Arrays.stream(ints).asDoubleStream().toArray();
        }
        return null;
    }

    Value withType(int newType) {
        return new Value(newType, shape, ints, floats);
    }

    static long product(long[] a, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            if (a[i] < 0) {
                return -1;
            }
            p = Math.multiplyExact(p, a[i]);
        }
        return p;
    }

    @Override
    public String toString() {
        return OnnxModel.dataTypeName(dtype) + (shape == null ? "[?]" : Arrays.toString(shape))
                + (ints != null ? "=" + Arrays.toString(ints) : floats != null ? "=" + Arrays.toString(floats) : "");
    }
}
