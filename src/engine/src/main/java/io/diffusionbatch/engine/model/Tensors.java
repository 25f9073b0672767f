package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * ONNX Runtime input tensors from Java arrays, and the row stacking that batching needs.
 * Stateless and thread-safe; the caller closes the tensors (or hands them to
 * {@link OnnxNetwork#run}, which does).
 */
public final class Tensors {

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private Tensors() {
    }

    /**
     * A tensor over {@code data} for the given input: float32, or float16 (rounded to nearest) when
     * the input is declared float16.
     */
    public static OnnxTensor floats(TensorSpec input, float[] data, long[] shape) {
        try {
            if (input.type() == OnnxJavaType.FLOAT16) {
                ShortBuffer half = Fp16Conversions.convertFloatBufferToFp16Buffer(FloatBuffer.wrap(data));
                return OnnxTensor.createTensor(ENV, half, shape, OnnxJavaType.FLOAT16);
            }
            return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new EngineException("cannot create tensor: " + e.getMessage(), e);
        }
    }

    /** An int64 tensor over {@code data}, or int32 when {@code type} says so. */
    public static OnnxTensor integers(OnnxJavaType type, long[] data, long[] shape) {
        try {
            if (type == OnnxJavaType.INT32) {
                int[] v = new int[data.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.toIntExact(data[i]);
                }
                return OnnxTensor.createTensor(ENV, IntBuffer.wrap(v), shape);
            }
            return OnnxTensor.createTensor(ENV, LongBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new EngineException("cannot create tensor: " + e.getMessage(), e);
        }
    }

    /**
     * A tensor of the input's type and rank filled with one value: a scalar, its fixed length, or
     * {@code batch} values. Integer inputs get the value truncated towards zero, as the diffusers
     * ONNX pipelines' {@code np.array([t], dtype=int64)} does with fractional timesteps; float16 inputs get it
     * rounded to the nearest float16 (timesteps up to 1000 lose at most 0.25).
     */
    public static OnnxTensor filled(TensorSpec spec, double value, int batch) {
        long[] shape = spec.rank() == 0 ? new long[0] : new long[] {spec.dim(0) > 0 ? spec.dim(0) : batch};
        int n = shape.length == 0 ? 1 : (int) shape[0];
        try {
            return switch (spec.type()) {
                case INT64 -> {
                    long[] v = new long[n];
                    Arrays.fill(v, (long) value);
                    yield OnnxTensor.createTensor(ENV, LongBuffer.wrap(v), shape);
                }
                case INT32 -> {
                    int[] v = new int[n];
                    Arrays.fill(v, (int) value);
                    yield OnnxTensor.createTensor(ENV, IntBuffer.wrap(v), shape);
                }
                case DOUBLE -> {
                    double[] v = new double[n];
                    Arrays.fill(v, value);
                    yield OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(v), shape);
                }
                case FLOAT -> {
                    float[] v = new float[n];
                    Arrays.fill(v, (float) value);
                    yield OnnxTensor.createTensor(ENV, FloatBuffer.wrap(v), shape);
                }
                case FLOAT16 -> { // a converter's --fp16 export: every float input float16, the timestep too
                    float[] v = new float[n];
                    Arrays.fill(v, (float) value);
                    yield OnnxTensor.createTensor(ENV, Fp16Conversions.convertFloatBufferToFp16Buffer(
                            FloatBuffer.wrap(v)), shape, OnnxJavaType.FLOAT16);
                }
                default -> throw new EngineException("input '" + spec.name() + "': unsupported type " + spec.type());
            };
        } catch (OrtException e) {
            throw new EngineException("cannot create tensor for '" + spec.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Rows [from, from + count) of {@code rows} equal-length rows stacked in {@code flat}, padded to
     * {@code batch} rows by repeating the last; {@code flat} itself when that is all of it.
     */
    public static float[] slice(float[] flat, int rows, int from, int count, int batch) {
        if (from == 0 && count == rows && batch == rows) {
            return flat;
        }
        int per = flat.length / rows;
        float[] out = new float[batch * per];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(flat, (from + Math.min(r, count - 1)) * per, out, r * per, per);
        }
        return out;
    }

    /** All rows stacked into one array. */
    public static float[] stack(float[][] rows) {
        int per = rows[0].length;
        float[] flat = new float[rows.length * per];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * per, per);
        }
        return flat;
    }
}
