package io.diffusionbatch.engine.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import tools.jackson.databind.JsonNode;

/** Tensors written by the Python tools as {@code {"dtype", "shape", "data"}} JSON, for the reference tests. */
final class JsonTensors {

    private JsonTensors() {
    }

    /** An ONNX Runtime tensor of a float32 or int64 JSON tensor; the caller closes it. */
    static OnnxTensor tensor(JsonNode t) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = longs(t.get("shape"));
        String dtype = t.get("dtype").asString();
        if (dtype.equals("float32")) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(floats(t.get("data"))), shape);
        }
        if (dtype.equals("int64")) {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(longs(t.get("data"))), shape);
        }
        throw new IllegalArgumentException("reference dtype must be float32 or int64, got " + dtype);
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
