package io.diffusionbatch.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Pareto front of cost against a quality figure: the points no other point beats on both
 * (no other has lower-or-equal cost and better-or-equal quality with one of them strict). Sorted
 * by cost, the front's quality improves strictly from point to point, so for any quality bar the
 * cheapest setting meeting it is on the front. Stateless and thread-safe.
 */
public final class ParetoFront {

    private ParetoFront() {
    }

    /**
     * A point: a label, its cost (e.g. NFE per sample) and its quality figure.
     *
     * @param quality NaN = not measured: such points are never on the front
     */
    public record Point(String label, double cost, double quality) {
    }

    /**
     * @param points        any order; not null
     * @param lowerIsBetter true for FID-like figures, false for adherence-like ones
     * @return the front, by increasing cost
     */
    public static List<Point> of(List<Point> points, boolean lowerIsBetter) {
        List<Point> sorted = new ArrayList<>(points.stream().filter(p -> !Double.isNaN(p.quality())).toList());
        Comparator<Point> byQuality = Comparator.comparingDouble(p -> lowerIsBetter ? p.quality() : -p.quality());
        sorted.sort(Comparator.comparingDouble(Point::cost).thenComparing(byQuality));
        List<Point> front = new ArrayList<>();
        for (Point p : sorted) {
            if (front.isEmpty() || better(p.quality(), front.get(front.size() - 1).quality(), lowerIsBetter)) {
                front.add(p);
            }
        }
        return front;
    }

    /** The cheapest point whose quality meets {@code bar} (<= for lower-is-better, >= otherwise), or null. */
    public static Point cheapestMeeting(List<Point> points, double bar, boolean lowerIsBetter) {
        Point best = null;
        for (Point p : points) {
            boolean meets = !Double.isNaN(p.quality()) && (lowerIsBetter ? p.quality() <= bar : p.quality() >= bar);
            if (meets && (best == null || p.cost() < best.cost())) {
                best = p;
            }
        }
        return best;
    }

    private static boolean better(double a, double b, boolean lowerIsBetter) {
        return lowerIsBetter ? a < b : a > b;
    }
}
