package io.diffusionbatch.media;

import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 array with a C-order (row-major) shape, as stored in a {@code .npy} file.
 *
 * <p>The constructor validates that the product of {@code shape} (1 for an empty shape, i.e. a scalar) equals
 * {@code data.length} and that no dimension is negative; it copies neither array, so callers must not mutate
 * them afterwards (accessors return the same arrays: treat them as read-only). Under that contract immutable
 * and thread-safe. {@code equals} compares contents (floats bitwise, via {@link Arrays#equals(float[], float[])}).
 */
public record NpyArray(int[] shape, float[] data) {

    public NpyArray {
        Objects.requireNonNull(shape, "shape must not be null");
        Objects.requireNonNull(data, "data must not be null");
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape dimensions must be >= 0, got " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape too large: " + Arrays.toString(shape));
            }
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but data has " + data.length);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray a && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NpyArray" + Arrays.toString(shape);
    }
}
