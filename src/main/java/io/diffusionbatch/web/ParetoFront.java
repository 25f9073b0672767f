package io.diffusionbatch.web;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The Pareto front of cost against quality: the points that no other point beats on both (the
 * cheapest cost for each quality level). Stateless, thread-safe.
 */
public final class ParetoFront {

    private ParetoFront() {
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
}
