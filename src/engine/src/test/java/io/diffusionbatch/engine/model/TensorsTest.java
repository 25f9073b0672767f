package io.diffusionbatch.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import org.junit.jupiter.api.Test;

class TensorsTest {

    @Test
    void timestepsTakeTheInputsTypeAndShape() throws Exception {
        try (OnnxTensor t = Tensors.filled(new TensorSpec("timestep", OnnxJavaType.INT64, new long[] {1}), 832.7, 4)) {
            assertThat(t.getInfo().getShape()).containsExactly(1);
            assertThat((long[]) t.getValue()).containsExactly(832); // truncated, as np.array([t], dtype=int64)
        }
        try (OnnxTensor t = Tensors.filled(new TensorSpec("timestep", OnnxJavaType.FLOAT, new long[] {-1}), 832.7, 3)) {
            assertThat((float[]) t.getValue()).containsExactly(832.7f, 832.7f, 832.7f);
        }
        // a float16 timestep (a converter's --fp16 export), rounded to the nearest float16: 832.7 → 832.5
        try (OnnxTensor t = Tensors.filled(new TensorSpec("timestep", OnnxJavaType.FLOAT16, new long[] {1}), 832.7, 2)) {
            assertThat(t.getInfo().type).isEqualTo(OnnxJavaType.FLOAT16);
            assertThat(t.getInfo().getShape()).containsExactly(1);
            assertThat(ai.onnxruntime.platform.Fp16Conversions.fp16ToFloat(t.getShortBuffer().get(0))).isEqualTo(832.5f);
        }
        try (OnnxTensor t = Tensors.filled(new TensorSpec("timestep", OnnxJavaType.INT64, new long[0]), 5, 3)) {
            assertThat(t.getInfo().getShape()).isEmpty();
            assertThat((long) t.getValue()).isEqualTo(5);
        }
    }

    @Test
    void slicingPadsByRepeatingTheLastRow() {
        float[] flat = {1, 1, 2, 2, 3, 3};
        assertThat(Tensors.slice(flat, 3, 0, 3, 3)).isSameAs(flat);
        assertThat(Tensors.slice(flat, 3, 2, 1, 2)).containsExactly(3, 3, 3, 3);
        assertThat(Tensors.slice(flat, 3, 0, 2, 2)).containsExactly(1, 1, 2, 2);
        assertThat(Tensors.stack(new float[][] {{1, 2}, {3, 4}})).containsExactly(1, 2, 3, 4);
    }
}
