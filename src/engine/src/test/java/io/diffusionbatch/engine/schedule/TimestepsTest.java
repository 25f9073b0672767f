package io.diffusionbatch.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TimestepsTest {

    @Test
    void roundsHalfToEvenLikeNumpy() {
        assertThat(Timesteps.round(2.5)).isEqualTo(2.0);
        assertThat(Timesteps.round(3.5)).isEqualTo(4.0);
        assertThat(Timesteps.round(-0.5)).isEqualTo(-0.0);
        assertThat(Timesteps.round(166.50000001)).isEqualTo(167.0);
    }

    @Test
    void leadingSpacingIsStrideMultiplesPlusOffset() {
        assertThat(Timesteps.leading(1000, 10, 1))
                .containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1);
        assertThat(Timesteps.leading(1000, 3, 0)).containsExactly(666, 333, 0);
    }

    @Test
    void trailingSpacingCountsDownFromTheEnd() {
        assertThat(Timesteps.trailing(1000, 1000, 10))
                .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
        // arange(1000, 0, -333.33…) = 1000, 666.67, 333.33 → rounded, minus one
        assertThat(Timesteps.trailing(1000, 1000, 3)).containsExactly(999, 666, 332);
        // numpy's arange gives 62 values here (the last ≈ -6e-13, i.e. timestep -1 in diffusers): dropped
        double[] t61 = Timesteps.trailing(1000, 1000, 61);
        assertThat(t61[60]).isEqualTo(15.0);
        for (int n = 1; n <= 1000; n++) {
            assertThat(Timesteps.trailing(1000, 1000, n)).as("n=" + n).hasSize(n);
        }
    }

    @Test
    void linspaceSpacingRoundsHalfToEven() {
        // linspace(0, 999, 7) = 0, 166.5, 333, 499.5, 666, 832.5, 999
        assertThat(Timesteps.linspaceRounded(1000, 7)).containsExactly(999, 832, 666, 500, 333, 166, 0);
    }

    @Test
    void linspaceHitsTheEndExactly() {
        double[] l = Timesteps.linspace(0, 999, 12);
        assertThat(l[11]).isEqualTo(999.0);
        assertThat(l[1]).isCloseTo(999.0 / 11, within(1e-12));
        assertThat(Timesteps.linspace(0, 50, 4, false)).containsExactly(0, 12.5, 25, 37.5);
    }

    @Test
    void interpIsLinearOnTheIntegerGridAndClamped() {
        double[] fp = {1, 3, 7};
        assertThat(Timesteps.interp(0.25, fp)).isEqualTo(1.5);
        assertThat(Timesteps.interp(1.5, fp)).isEqualTo(5.0);
        assertThat(Timesteps.interp(2, fp)).isEqualTo(7.0);
        assertThat(Timesteps.interp(-1, fp)).isEqualTo(1.0);
        assertThat(Timesteps.interp(9, fp)).isEqualTo(7.0);
    }

    @Test
    void sigmaToTInvertsTheTableInLogSigma() {
        double[] sig = {0.1, 0.2, 0.4, 0.8};
        double[] logs = new double[sig.length];
        for (int i = 0; i < sig.length; i++) {
            logs[i] = Math.log(sig[i]);
        }
        assertThat(Timesteps.sigmaToT(0.4, logs)).isCloseTo(2.0, within(1e-12));
        assertThat(Timesteps.sigmaToT(Math.sqrt(0.08), logs)).isCloseTo(1.5, within(1e-12)); // geometric midpoint
        assertThat(Timesteps.sigmaToT(5.0, logs)).isEqualTo(3.0);
        assertThat(Timesteps.sigmaToT(0.01, logs)).isEqualTo(0.0);
    }

    @Test
    void karrasSigmasFollowTheRho7Ramp() {
        double[] s = Timesteps.karrasSigmas(0.03, 14.6, 5);
        assertThat(s[0]).isCloseTo(14.6, within(1e-12));
        assertThat(s[4]).isCloseTo(0.03, within(1e-14));
        double mid = Math.pow((Math.pow(14.6, 1 / 7.0) + Math.pow(0.03, 1 / 7.0)) / 2, 7);
        assertThat(s[2]).isCloseTo(mid, within(1e-12));
    }
}
