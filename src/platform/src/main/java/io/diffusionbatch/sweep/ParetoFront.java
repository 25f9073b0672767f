package io.diffusionbatch.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

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
        return of(points, Point::cost, Point::quality, !lowerIsBetter);
    }

    /**
     * The non-dominated points, cheapest first: a point is kept when its quality is strictly
     * better than that of every cheaper-or-equal point before it (of points with equal cost and
     * quality, the first given is kept). Points with a non-finite cost or quality are ignored.
     *
     * @param points          the candidates (not null, no null elements)
     * @param cost            e.g. NFE (lower is better)
     * @param quality         e.g. FID (lower is better) or adherence (higher is better)
     * @param higherIsBetter  whether higher quality values are better
     * @return a new list, in increasing cost and strictly improving quality
     */
    public static <T> List<T> of(List<T> points, ToDoubleFunction<T> cost, ToDoubleFunction<T> quality,
                                 boolean higherIsBetter) {
        ToDoubleFunction<T> goodness = higherIsBetter ? quality : p -> -quality.applyAsDouble(p);
        List<T> sorted = new ArrayList<>();
        for (T p : points) {
            if (Double.isFinite(cost.applyAsDouble(p)) && Double.isFinite(quality.applyAsDouble(p))) {
                sorted.add(p);
            }
        }
        // stable sort: cheapest first, best quality first among equal costs
        sorted.sort(Comparator.comparingDouble(cost).thenComparing(Comparator.comparingDouble(goodness).reversed()));
        List<T> front = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (T p : sorted) {
            double g = goodness.applyAsDouble(p);
            if (g > best) {
                front.add(p);
                best = g;
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
}
