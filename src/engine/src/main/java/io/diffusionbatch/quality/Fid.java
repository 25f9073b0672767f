package io.diffusionbatch.quality;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fréchet distance between two Gaussian fits of features (Heusel et al. 2017, "GANs Trained by a
 * Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"):
 * {@code |μ₁ − μ₂|² + tr(C₁ + C₂ − 2 (C₁C₂)^½)}.
 *
 * <p>The trace of the matrix square root is computed in double precision as
 * {@code Σ √λᵢ(C₁^½ C₂ C₁^½)}: that matrix is symmetric positive semi-definite and similar to
 * {@code C₁C₂}, so a symmetric eigen-decomposition (Apache Commons Math) suffices and no complex
 * arithmetic is needed; eigenvalues that round below zero count as zero. Stateless, thread-safe.
 */
public final class Fid {

    private Fid() {
    }

    public static double distance(FeatureStats a, FeatureStats b) {
        int d = a.mean().length;
        if (b.mean().length != d) {
            throw new IllegalArgumentException("features: dimensions differ (" + d + " vs " + b.mean().length + ")");
        }
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = a.mean()[i] - b.mean()[i];
            meanTerm += diff * diff;
        }
        RealMatrix c1 = new Array2DRowRealMatrix(a.cov(), false);
        RealMatrix c2 = new Array2DRowRealMatrix(b.cov(), false);
        RealMatrix s = sqrtSymmetric(c1);
        RealMatrix m = s.multiply(c2).multiply(s);
        m = m.add(m.transpose()).scalarMultiply(0.5); // symmetric up to rounding; make it exactly so
        double traceSqrt = 0;
        for (double lambda : new EigenDecomposition(m).getRealEigenvalues()) {
            traceSqrt += Math.sqrt(Math.max(0, lambda));
        }
        return meanTerm + c1.getTrace() + c2.getTrace() - 2 * traceSqrt;
    }

    /** The principal square root of a symmetric positive semi-definite matrix. */
    static RealMatrix sqrtSymmetric(RealMatrix c) {
        EigenDecomposition e = new EigenDecomposition(c.add(c.transpose()).scalarMultiply(0.5));
        double[] values = e.getRealEigenvalues();
        RealMatrix v = e.getV();
        int d = values.length;
        double[][] scaled = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                scaled[i][j] = v.getEntry(i, j) * Math.sqrt(Math.max(0, values[j]));
            }
        }
        return new Array2DRowRealMatrix(scaled, false).multiply(v.transpose());
    }
}
