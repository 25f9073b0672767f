package io.diffusionbatch.quality;

import io.diffusionbatch.media.NpyReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The Gaussian fit of a set of feature vectors: mean and covariance with Bessel's correction
 * (N − 1), in double precision, as FID uses them. Immutable by convention (arrays are not copied).
 *
 * @param mean  the mean vector (D)
 * @param cov   the covariance matrix (D × D)
 * @param count the number of vectors, or -1 when read from saved statistics
 */
public record FeatureStats(double[] mean, double[][] cov, int count) {

    /** The statistics of {@code features} (each of the same length D; at least two of them). */
    public static FeatureStats of(List<float[]> features) {
        int n = features.size();
        if (n < 2) {
            throw new IllegalArgumentException("features: need at least 2 vectors for a covariance, got " + n);
        }
        int d = features.get(0).length;
        double[] mean = new double[d];
        for (float[] f : features) {
            if (f.length != d) {
                throw new IllegalArgumentException("features: vectors differ in length (" + f.length + " vs " + d + ")");
            }
            for (int i = 0; i < d; i++) {
                mean[i] += f[i];
            }
        }
        for (int i = 0; i < d; i++) {
            mean[i] /= n;
        }
        double[][] cov = new double[d][d];
        double[] c = new double[d];
        for (float[] f : features) {
            for (int i = 0; i < d; i++) {
                c[i] = f[i] - mean[i];
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    cov[i][j] += c[i] * c[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                cov[i][j] /= n - 1;
                cov[j][i] = cov[i][j];
            }
        }
        return new FeatureStats(mean, cov, n);
    }

    /** Reads statistics saved by numpy as float64 {@code mean.npy} (D) and {@code cov.npy} (D × D). */
    public static FeatureStats read(Path meanFile, Path covFile) {
        try {
            NpyReader.Float64Array m = NpyReader.readFloat64(meanFile);
            NpyReader.Float64Array c = NpyReader.readFloat64(covFile);
            int d = m.data().length;
            if (c.shape().length != 2 || c.shape()[0] != d || c.shape()[1] != d) {
                throw new IllegalArgumentException("features: " + covFile + " is not " + d + " x " + d);
            }
            double[][] cov = new double[d][];
            for (int i = 0; i < d; i++) {
                cov[i] = java.util.Arrays.copyOfRange(c.data(), i * d, (i + 1) * d);
            }
            return new FeatureStats(m.data(), cov, -1);
        } catch (IOException e) {
            throw new UncheckedIOException("features: cannot read " + meanFile + " / " + covFile + ": " + e.getMessage(), e);
        }
    }
}
