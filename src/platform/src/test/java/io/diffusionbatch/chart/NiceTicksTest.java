package io.diffusionbatch.chart;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Nice ticks against values worked out by hand. */
class NiceTicksTest {

    private static void assertTicks(NiceTicks t, double min, double max, String... labels) {
        assertThat(t.min()).isCloseTo(min, within(1e-12));
        assertThat(t.max()).isCloseTo(max, within(1e-12));
        assertThat(t.labels()).containsExactly(labels);
        assertThat(t.values()).hasSize(labels.length);
        for (int i = 0; i < labels.length; i++) {
            assertThat(t.values().get(i)).isCloseTo(Double.parseDouble(labels[i]), within(1e-12));
        }
    }

    @Test
    void linearStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        // 84 / 5 = 16.8 → 20
        assertTicks(NiceTicks.linear(0, 84), 0, 100, "0", "20", "40", "60", "80", "100");
        // 8.42 / 5 = 1.684 → 2; ends: 2 × 10 below 21.58, 2 × 15 at 30
        assertTicks(NiceTicks.linear(21.58, 30), 20, 30, "20", "22", "24", "26", "28", "30");
        // 0.043 / 5 = 0.0086 → 0.01 (10 × 0.001)
        assertTicks(NiceTicks.linear(0.91, 0.953), 0.91, 0.96, "0.91", "0.92", "0.93", "0.94", "0.95", "0.96");
        // 10 / 5 = 2 → 2; -3 → -4, 7 → 8; zero is "0", never "-0"
        assertTicks(NiceTicks.linear(-3, 7), -4, 8, "-4", "-2", "0", "2", "4", "6", "8");
        // 1 / 5 = 0.2: one decimal on every label
        assertTicks(NiceTicks.linear(0, 1), 0, 1, "0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
        // 100 / 5 = 20: the adherence axis in percent
        assertTicks(NiceTicks.linear(0, 100), 0, 100, "0", "20", "40", "60", "80", "100");
        // 96,800 / 5 = 19,360 → 20,000
        assertTicks(NiceTicks.linear(1200, 98000), 0, 100000, "0", "20000", "40000", "60000", "80000", "100000");
        // 0.3 / 5 = 0.06 → 0.1: 0.1 + 0.2 shows as 0.3, not 0.30000000000000004
        assertTicks(NiceTicks.linear(0.1, 0.4), 0.1, 0.4, "0.1", "0.2", "0.3", "0.4");
    }

    @Test
    void aSingleValueGetsTenPercentEitherSide() {
        // 30 ± 3 = [27, 33]: 6 / 5 = 1.2 → 2
        assertTicks(NiceTicks.linear(30, 30), 26, 34, "26", "28", "30", "32", "34");
        // 0 ± 1: 2 / 5 = 0.4 → 0.5
        assertTicks(NiceTicks.linear(0, 0), -1, 1, "-1.0", "-0.5", "0.0", "0.5", "1.0");
    }

    @Test
    void logTicksAreDecadesWithTwoAndFiveWhenTheAxisIsShort() {
        assertTicks(NiceTicks.log(8, 40), 1, 100, "1", "2", "5", "10", "20", "50", "100");
        assertTicks(NiceTicks.log(4, 1998), 1, 10000, "1", "10", "100", "1000", "10000");
        assertTicks(NiceTicks.log(10, 10), 10, 100, "10", "20", "50", "100");
        assertTicks(NiceTicks.log(0.5, 3), 0.1, 10, "0.1", "0.2", "0.5", "1", "2", "5", "10");
    }

    @Test
    void fractionPlacesValuesOnTheAxis() {
        NiceTicks lin = NiceTicks.linear(0, 84);
        assertThat(lin.fraction(50)).isCloseTo(0.5, within(1e-12));
        assertThat(lin.fraction(120)).isGreaterThan(1);
        NiceTicks log = NiceTicks.log(8, 40);
        assertThat(log.fraction(10)).isCloseTo(0.5, within(1e-12));
        assertThat(log.fraction(8)).isCloseTo(Math.log10(8) / 2, within(1e-12));
    }

    @Test
    void badRangesAreRefused() {
        assertThatThrownBy(() -> NiceTicks.linear(2, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lo <= hi");
        assertThatThrownBy(() -> NiceTicks.linear(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NiceTicks.log(0, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }
}
