package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxJavaType;
import java.util.Arrays;

/**
 * A graph input or output as ONNX Runtime reports it.
 *
 * @param name  the tensor's name
 * @param type  its element type
 * @param shape its dimensions; -1 marks a dynamic one
 */
public record TensorSpec(String name, OnnxJavaType type, long[] shape) {

    public int rank() {
        return shape.length;
    }

    /** The fixed size of dimension {@code i}, or -1 when it is dynamic. */
    public long dim(int i) {
        return shape[i] < 0 ? -1 : shape[i];
    }

    /** Whether it holds float32 or float16 values (the engine converts float16 at the boundary). */
    public boolean isFloat() {
        return type == OnnxJavaType.FLOAT || type == OnnxJavaType.FLOAT16;
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape);
    }
}
