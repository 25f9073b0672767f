package io.diffusionbatch.engine.noise;

/**
 * Counter-based standard-normal noise that is a pure function of (seed, stream, index).
 *
 * <p>Stream 0 is an item's initial latent; stream {@code s + 1} is the noise a stochastic sampler
 * injects at step {@code s}. Because each value depends only on its coordinates, an item's noise
 * is the same whatever the batch size, its position in the batch, the thread or the machine.
 *
 * <p>The algorithm, reproducible in any language with 64-bit unsigned arithmetic
 * ({@code tools/seed_noise.py} does it in Python and the tests compare):
 * <pre>
 *   mix(z):  z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *            z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *            return z ^ (z >>> 31)                       // SplitMix64's finaliser, all mod 2^64
 *   G = 0x9E3779B97F4A7C15
 *   key        = mix(seed + G * (stream + 1))
 *   bits(k)    = mix(key + G * (k + 1))
 *   u(k)       = ((bits(k) >>> 11) + 0.5) / 2^53         // uniform in (0, 1), never 0 or 1
 *   for pair j: r = sqrt(-2 ln u(2j)), a = 2 pi u(2j+1)
 *               value[2j] = r cos a, value[2j+1] = r sin a   (Box-Muller, in double)
 *   each value is rounded to float32.
 * </pre>
 * {@code StrictMath} is used so the doubles are bit-identical on every JVM.
 *
 * <p>Stateless and thread-safe.
 */
public final class SeedNoise {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private SeedNoise() {
    }

    /** Stream index of the noise injected at sampler step {@code step} (0-based). */
    public static int stepStream(int step) {
        return step + 1;
    }

    /** {@code length} standard-normal values of the given seed and stream. */
    public static float[] gaussian(long seed, long stream, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: must be >= 0, was " + length);
        }
        float[] out = new float[length];
        long key = mix(seed + GOLDEN * (stream + 1));
        for (int j = 0; 2 * j < length; j++) {
            double u1 = uniform(key, 2L * j);
            double u2 = uniform(key, 2L * j + 1);
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double a = 2.0 * StrictMath.PI * u2;
            out[2 * j] = (float) (r * StrictMath.cos(a));
            if (2 * j + 1 < length) {
                out[2 * j + 1] = (float) (r * StrictMath.sin(a));
            }
        }
        return out;
    }

    static double uniform(long key, long k) {
        long bits = mix(key + GOLDEN * (k + 1));
        return ((bits >>> 11) + 0.5) * TWO_POW_MINUS_53;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
