package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
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

    /**
     * Runs a reference case ({@code inputs}, {@code outputs}, {@code tolerance}) through a session and
     * asserts every output's shape and values: the worst of |got − want| / max(1, |want|) is within
     * the tolerance, and every value is finite.
     */
    static void assertReproduces(OrtSession s, JsonNode c, String description) throws OrtException {
        double tol = c.get("tolerance").asDouble();
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonNode> in : c.get("inputs").properties()) {
                feeds.put(in.getKey(), tensor(in.getValue()));
            }
            assertThat(s.getInputNames()).containsExactlyInAnyOrderElementsOf(feeds.keySet());
            try (OrtSession.Result r = s.run(feeds)) {
                for (Map.Entry<String, JsonNode> out : c.get("outputs").properties()) {
                    OnnxTensor actual = (OnnxTensor) r.get(out.getKey()).orElseThrow();
                    JsonNode expected = out.getValue();
                    assertThat(actual.getInfo().getShape()).as("shape of " + out.getKey())
                            .containsExactly(longs(expected.get("shape")));
                    FloatBuffer fb = actual.getFloatBuffer();
                    float[] got = new float[fb.remaining()];
                    fb.get(got);
                    float[] want = floats(expected.get("data"));
                    assertThat(got).hasSameSizeAs(want);
                    double worst = 0;
                    for (int i = 0; i < want.length; i++) {
                        assertThat(Float.isFinite(got[i])).isTrue();
                        worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i])));
                    }
                    assertThat(worst).as(description + ": worst error of " + out.getKey()).isLessThanOrEqualTo(tol);
                }
            }
        } finally {
            for (OnnxTensor t : feeds.values()) {
                t.close();
            }
        }
    }
}
