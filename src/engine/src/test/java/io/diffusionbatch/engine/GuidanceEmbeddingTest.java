package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The guidance embedding of guidance-distilled LCM UNets against its closed form: with d = 4 the
 * frequencies are e_0 = 1 and e_1 = exp(−ln 10000) = 10⁻⁴, so w = 8.5 gives
 * [sin 7500, sin 0.75, cos 7500, cos 0.75].
 */
class GuidanceEmbeddingTest {

    @Test
    void matchesTheClosedForm() {
        float[] e = Engine.guidanceEmbedding(8.5, 4);
        // 7500 and 0.75 are exact in float32; sin/cos of them to float precision
        assertThat(e).hasSize(4);
        assertThat((double) e[0]).isCloseTo(Math.sin(7500.0), within(1e-6));
        assertThat((double) e[1]).isCloseTo(Math.sin(0.75), within(1e-6));
        assertThat((double) e[2]).isCloseTo(Math.cos(7500.0), within(1e-6));
        assertThat((double) e[3]).isCloseTo(Math.cos(0.75), within(1e-6));
    }

    @Test
    void guidanceOneIsTheZeroAngleAndOddWidthsArePaddedWithZero() {
        float[] e = Engine.guidanceEmbedding(1.0, 7);
        assertThat(e).containsExactly(0f, 0f, 0f, 1f, 1f, 1f, 0f);
    }

    @Test
    void frequenciesFallGeometricallyFromOneToTenThousandth() {
        // w = 1.001 → w·1000 = 1 (to float precision): sin(e_k) ≈ e_k for small e_k
        float[] e = Engine.guidanceEmbedding(1.001, 10);
        double step = Math.log(10000) / 4;
        for (int k = 0; k < 5; k++) {
            double angle = (float) ((float) (1.001 - 1) * 1000f) * Math.exp(-k * step);
            assertThat((double) e[k]).isCloseTo(Math.sin(angle), within(2e-6));
            assertThat((double) e[5 + k]).isCloseTo(Math.cos(angle), within(2e-6));
        }
    }
}
