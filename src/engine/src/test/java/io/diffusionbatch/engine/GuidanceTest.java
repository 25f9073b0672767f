package io.diffusionbatch.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GuidanceTest {

    @Test
    void classifierFreeGuidanceExtrapolatesFromTheUnconditionalPrediction() {
        float[] cond = {1f, 2f, 3f};
        float[] uncond = {0f, 1f, 5f};
        Guidance.apply(cond, uncond, 7.5, 0);
        // uncond + 7.5 (cond - uncond)
        assertThat(cond).containsExactly(7.5f, 8.5f, -10f);
    }

    @Test
    void scaleOneIsTheConditionalPrediction() {
        float[] cond = {0.25f, -1f};
        Guidance.apply(cond, new float[] {9f, 9f}, 1.0, 0);
        assertThat(cond).containsExactly(0.25f, -1f);
    }

    @Test
    void fullRescaleRestoresTheConditionalStandardDeviation() {
        float[] cond = {1f, -1f, 2f, 0f};
        float[] uncond = {0f, 0.5f, -0.5f, 0.25f};
        float[] guided = cond.clone();
        Guidance.apply(guided, uncond.clone(), 5, 1.0);
        // std with Bessel's correction, as torch.std
        assertThat(Guidance.std(guided)).isCloseTo(Guidance.std(cond), within(1e-6));
        // the direction is the plain guided result's
        float[] plain = cond.clone();
        Guidance.apply(plain, uncond, 5, 0);
        double factor = guided[0] / plain[0];
        for (int i = 0; i < plain.length; i++) {
            assertThat((double) guided[i]).isCloseTo(plain[i] * factor, within(1e-5));
        }
    }

    @Test
    void partialRescaleMixesLinearly() {
        float[] cond = {1f, -1f, 2f, 0f};
        float[] uncond = {0f, 0.5f, -0.5f, 0.25f};
        float[] plain = cond.clone();
        Guidance.apply(plain, uncond, 4, 0);
        float[] full = cond.clone();
        Guidance.apply(full, uncond, 4, 1);
        float[] half = cond.clone();
        Guidance.apply(half, uncond, 4, 0.5);
        for (int i = 0; i < cond.length; i++) {
            assertThat((double) half[i]).isCloseTo(0.5 * plain[i] + 0.5 * full[i], within(1e-5));
        }
        // the standard deviation of {1,-1,2,0} with N-1: mean 0.5, squares 0.25+2.25+2.25+0.25 = 5, /3
        assertThat(Guidance.std(cond)).isCloseTo(Math.sqrt(5.0 / 3), within(1e-9));
    }
}
