package io.diffusionbatch.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class NoiseScheduleTest {

    private static SchedulerConfig config(BetaSchedule schedule, double start, double end) {
        return SchedulerConfig.defaults().withBetas(schedule, start, end);
    }

    @Test
    void linearBetasRunFromStartToEndInEqualSteps() {
        double[] b = NoiseSchedule.of(config(BetaSchedule.LINEAR, 0.0001, 0.02)).betas();
        assertThat(b).hasSize(1000);
        assertThat(b[0]).isEqualTo(0.0001);
        assertThat(b[999]).isCloseTo(0.02, within(1e-15));
        double step = (0.02 - 0.0001) / 999;
        assertThat(b[1] - b[0]).isCloseTo(step, within(1e-15));
        assertThat(b[500]).isCloseTo(0.0001 + 500 * step, within(1e-15));
    }

    @Test
    void scaledLinearBetasAreSquaresOfALinearRamp() {
        double[] b = NoiseSchedule.of(config(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012)).betas();
        assertThat(b[0]).isCloseTo(0.00085, within(1e-15));
        assertThat(b[999]).isCloseTo(0.012, within(1e-15));
        double s0 = Math.sqrt(0.00085);
        double step = (Math.sqrt(0.012) - s0) / 999;
        assertThat(Math.sqrt(b[321])).isCloseTo(s0 + 321 * step, within(1e-14));
    }

    @Test
    void alphasCumprodIsTheRunningProductOfOneMinusBeta() {
        NoiseSchedule s = NoiseSchedule.of(config(BetaSchedule.LINEAR, 0.0001, 0.02));
        double[] b = s.betas();
        double[] a = s.alphas();
        double[] ac = s.alphasCumprod();
        double logSum = 0;
        for (int t = 0; t < 1000; t++) {
            assertThat(a[t]).isEqualTo(1 - b[t]);
            logSum += Math.log1p(-b[t]);
            assertThat(ac[t]).isCloseTo(Math.exp(logSum), within(1e-12 * Math.exp(logSum) + 1e-300));
        }
        // the well-known end value of the DDPM linear schedule, ᾱ_999 ≈ 4.04e-5
        assertThat(ac[999]).isCloseTo(4.035e-5, within(0.01e-5));
    }

    @Test
    void sigmasAreSqrtOfOneMinusAlphaBarOverAlphaBar() {
        NoiseSchedule s = NoiseSchedule.of(config(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012));
        double[] ac = s.alphasCumprod();
        double[] sig = s.sigmas();
        for (int t : new int[] {0, 1, 500, 999}) {
            assertThat(sig[t]).isCloseTo(Math.sqrt((1 - ac[t]) / ac[t]), within(1e-12 * sig[t]));
        }
        // Stable Diffusion's familiar σ_max ≈ 14.6146 and σ_min ≈ 0.0292
        assertThat(sig[999]).isCloseTo(14.6146, within(1e-4));
        assertThat(sig[0]).isCloseTo(0.029168, within(1e-6));
    }

    @Test
    void squaredCosFollowsTheCosineAlphaBarAndIsCapped() {
        double[] b = NoiseSchedule.of(config(BetaSchedule.SQUAREDCOS_CAP_V2, 0.1, 0.2)).betas();
        double f1 = Math.pow(Math.cos((0.5 + 0.008) / 1.008 * Math.PI / 2), 2);
        double f2 = Math.pow(Math.cos((0.501 + 0.008) / 1.008 * Math.PI / 2), 2);
        assertThat(b[500]).isCloseTo(1 - f2 / f1, within(1e-15));
        assertThat(b[999]).isEqualTo(0.999);
        // beta_start/beta_end play no part
        assertThat(NoiseSchedule.of(config(BetaSchedule.SQUAREDCOS_CAP_V2, 0.3, 0.4)).betas()).containsExactly(b);
    }

    @Test
    void zeroTerminalSnrRescaleEndsAtZeroAndKeepsTheFirstStep() {
        SchedulerConfig c = config(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012);
        NoiseSchedule plain = NoiseSchedule.of(c);
        NoiseSchedule zero = NoiseSchedule.of(c.withRescaleBetasZeroSnr(true));
        double[] before = plain.alphasCumprod();
        double[] after = zero.alphasCumprod();
        assertThat(after[999]).isCloseTo(0.0, within(1e-15));
        assertThat(zero.betas()[999]).isCloseTo(1.0, within(1e-12));
        assertThat(Math.sqrt(after[0])).isCloseTo(Math.sqrt(before[0]), within(1e-14));
        // √ᾱ is mapped affinely: (√ᾱ_t − √ᾱ_T) · √ᾱ_0 / (√ᾱ_0 − √ᾱ_T)
        double r0 = Math.sqrt(before[0]);
        double rT = Math.sqrt(before[999]);
        double expected = (Math.sqrt(before[400]) - rT) * r0 / (r0 - rT);
        assertThat(Math.sqrt(after[400])).isCloseTo(expected, within(1e-12));
    }

    @Test
    void terminalAlphaFloorReplacesOnlyTheLastValue() {
        NoiseSchedule zero = NoiseSchedule.of(config(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012)
                .withRescaleBetasZeroSnr(true));
        NoiseSchedule floored = zero.withTerminalAlphaCumprod(0x1p-24);
        assertThat(floored.alphaCumprod(999)).isEqualTo(0x1p-24);
        assertThat(floored.alphaCumprod(998)).isEqualTo(zero.alphaCumprod(998));
        assertThat(floored.sigmas()[999]).isCloseTo(Math.sqrt(0x1p24 - 1), within(1e-9));
    }

    @Test
    void trainedBetasAreUsedAsGiven() {
        double[] betas = {0.1, 0.2, 0.5};
        SchedulerConfig c = new SchedulerConfig(3, null, null, null, betas, PredictionType.EPSILON, null, 0,
                true, null, 1.0, false, 1, 10.0);
        NoiseSchedule s = NoiseSchedule.of(c);
        assertThat(s.betas()).containsExactly(0.1, 0.2, 0.5);
        assertThat(s.alphasCumprod()).containsExactly(new double[] {0.9, 0.72, 0.36}, within(1e-15));
    }

    @Test
    void missingBetaScheduleIsReported() {
        assertThatThrownBy(() -> NoiseSchedule.of(SchedulerConfig.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta_schedule");
    }
}
