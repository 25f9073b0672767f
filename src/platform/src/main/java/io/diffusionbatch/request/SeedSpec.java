package io.diffusionbatch.request;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * The seeds each prompt is generated with: an explicit list ({@code "seeds": [1, 2, 3]}) or a range
 * ({@code "seeds": {"count": 4, "base": 1000}} = 1000, 1001, 1002, 1003). Seeds are 0 … 2^53 − 1
 * ({@link #MAX_SEED}), the integers every JSON reader keeps exactly. Immutable and thread-safe.
 */
public sealed interface SeedSpec permits SeedSpec.SeedList, SeedSpec.SeedRange {

    /** The largest seed: 2^53 − 1. */
    long MAX_SEED = (1L << 53) - 1;

    /** How many seeds, >= 1. */
    long count();

    /** Seed number {@code i}, 0 &lt;= i &lt; {@link #count()}. */
    long seed(long i);

    /** The default when a request gives no seeds: one seed, 0. */
    static SeedSpec defaultSeeds() {
        return new SeedRange(1, 0);
    }

    /** Distinct seeds in the given order. */
    record SeedList(List<Long> seeds) implements SeedSpec {
        public SeedList {
            seeds = List.copyOf(seeds);
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("seeds: at least one seed is needed");
            }
            for (long s : seeds) {
                checkSeed(s);
            }
            if (new HashSet<>(seeds).size() != seeds.size()) {
                throw new IllegalArgumentException("seeds: must be distinct");
            }
        }

        @Override
        public long count() {
            return seeds.size();
        }

        @Override
        public long seed(long i) {
            Objects.checkIndex(i, count());
            return seeds.get((int) i);
        }
    }

    /** Seeds {@code base, base + 1, …, base + count − 1}. */
    record SeedRange(long count, long base) implements SeedSpec {
        public SeedRange {
            if (count < 1) {
                throw new IllegalArgumentException("seeds.count: must be >= 1, was " + count);
            }
            checkSeed(base);
            if (base > MAX_SEED - (count - 1)) {
                throw new IllegalArgumentException("seeds: base + count - 1 must be <= " + MAX_SEED);
            }
        }

        @Override
        public long seed(long i) {
            Objects.checkIndex(i, count);
            return base + i;
        }
    }

    private static void checkSeed(long s) {
        if (s < 0 || s > MAX_SEED) {
            throw new IllegalArgumentException("seed: must be between 0 and " + MAX_SEED + ", was " + s);
        }
    }
}
