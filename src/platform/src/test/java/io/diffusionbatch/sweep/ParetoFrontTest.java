package io.diffusionbatch.sweep;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Fronts worked out by hand. */
class ParetoFrontTest {

    private static ParetoFront.Point p(String l, double cost, double q) {
        return new ParetoFront.Point(l, cost, q);
    }

    private static final List<ParetoFront.Point> POINTS = List.of(
            p("a", 40, 30.0), p("b", 8, 60.0), p("c", 16, 25.0), p("d", 16, 28.0), p("e", 100, 25.0),
            p("f", 2000, 24.0), p("g", 20, Double.NaN), p("h", 4, 90.0));

    @Test
    void lowerIsBetter() {
        // by cost: h(4,90) b(8,60) c(16,25) [d worse at same cost] [a 30 > 25] [e ties 25] f(2000,24)
        assertThat(ParetoFront.of(POINTS, true)).extracting(ParetoFront.Point::label).containsExactly("h", "b", "c", "f");
        assertThat(ParetoFront.cheapestMeeting(POINTS, 28.0, true).label()).isEqualTo("c");
        assertThat(ParetoFront.cheapestMeeting(POINTS, 10.0, true)).isNull();
    }

    @Test
    void higherIsBetter() {
        List<ParetoFront.Point> adherence = List.of(p("x", 8, 0.6), p("y", 16, 0.95), p("z", 40, 0.95), p("w", 4, 0.7),
                p("v", 1000, 1.0));
        assertThat(ParetoFront.of(adherence, false)).extracting(ParetoFront.Point::label).containsExactly("w", "y", "v");
        assertThat(ParetoFront.cheapestMeeting(adherence, 0.9, false).label()).isEqualTo("y");
        assertThat(ParetoFront.of(List.of(), false)).isEmpty();
    }
}
