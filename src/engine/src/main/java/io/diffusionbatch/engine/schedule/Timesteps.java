package io.diffusionbatch.engine.schedule;

/**
 * The numeric building blocks the diffusers schedulers use to pick inference timesteps and noise levels,
 * reproduced with numpy's semantics (rounding half to even, {@code arange}'s length rule,
 * {@code linspace}'s exact end point, {@code interp}'s clamping).
 *
 * <p>Stateless and thread-safe; arguments are never null.
 */
public final class Timesteps {

    private Timesteps() {
    }

    /** numpy's {@code round}: half to even. */
    public static double round(double v) {
        return Math.rint(v);
    }

    /** {@code np.linspace(start, stop, num)} with the end point included. */
    public static double[] linspace(double start, double stop, int num) {
        return linspace(start, stop, num, true);
    }

    /** {@code np.linspace(start, stop, num, endpoint=endpoint)}. */
    public static double[] linspace(double start, double stop, int num, boolean endpoint) {
        double[] y = new double[num];
        int div = endpoint ? num - 1 : num;
        double delta = stop - start;
        if (div > 0) {
            double step = delta / div;
            for (int i = 0; i < num; i++) {
                y[i] = step == 0 ? i / (double) div * delta + start : i * step + start;
            }
        } else {
            for (int i = 0; i < num; i++) {
                y[i] = i * delta + start;
            }
        }
        if (endpoint && num > 1) {
            y[num - 1] = stop;
        }
        return y;
    }

    /** {@code np.arange(start, stop, step)} for a non-zero step. */
    public static double[] arange(double start, double stop, double step) {
        int len = (int) Math.max(0, Math.ceil((stop - start) / step));
        double[] y = new double[len];
        for (int i = 0; i < len; i++) {
            y[i] = start + i * step;
        }
        return y;
    }

    /**
     * "leading" spacing as DDPM/DDIM/Euler use it: {@code (arange(n) * (T // n))} reversed, plus {@code offset}.
     */
    public static double[] leading(int trainSteps, int n, int offset) {
        int ratio = trainSteps / n;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = (double) (n - 1 - i) * ratio + offset;
        }
        return t;
    }

    /**
     * "trailing" spacing: {@code round(arange(start, 0, -T / n)) - 1}, cut to at most {@code n} entries.
     * For some n (61, 103, 121, …) numpy's arange yields an extra element ≈ 1e-13, which diffusers turns
     * into a timestep −1; that spurious entry is dropped here.
     */
    public static double[] trailing(int start, int trainSteps, int n) {
        double[] all = arange(start, 0, -((double) trainSteps / n));
        double[] t = all.length > n ? java.util.Arrays.copyOf(all, n) : all;
        for (int i = 0; i < t.length; i++) {
            t[i] = round(t[i]) - 1;
        }
        return t;
    }

    /** "linspace" spacing of DDPM/DDIM: {@code round(linspace(0, T - 1, n))} reversed. */
    public static double[] linspaceRounded(int trainSteps, int n) {
        double[] l = linspace(0, trainSteps - 1, n);
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = round(l[n - 1 - i]);
        }
        return t;
    }

    /** {@code np.interp(x, arange(len(fp)), fp)}: linear interpolation on the integer grid, clamped at the ends. */
    public static double interp(double x, double[] fp) {
        int last = fp.length - 1;
        if (x <= 0) {
            return fp[0];
        }
        if (x >= last) {
            return fp[last];
        }
        int j = (int) Math.floor(x);
        double frac = x - j;
        if (frac == 0) {
            return fp[j];
        }
        double slope = fp[j + 1] - fp[j];
        return slope * frac + fp[j];
    }

    /**
     * Inverts σ(t) by linear interpolation in log σ between the two neighbouring training timesteps
     * (diffusers' {@code _sigma_to_t}, as in k-diffusion).
     *
     * @param sigma     the noise level (values below 1e-10 are treated as 1e-10)
     * @param logSigmas log σ_t for every training timestep, increasing
     * @return the fractional training timestep, within [0, T - 1]
     */
    public static double sigmaToT(double sigma, double[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i;
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        int high = low + 1;
        double lo = logSigmas[low];
        double hi = logSigmas[high];
        double w = (lo - logSigma) / (lo - hi);
        w = Math.max(0, Math.min(1, w));
        return (1 - w) * low + w * high;
    }

    /**
     * The noise levels of Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based Generative
     * Models", eq. 5) with ρ = 7: {@code (σmax^(1/ρ) + ramp·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ}, ramp = linspace(0, 1, n).
     */
    public static double[] karrasSigmas(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double[] ramp = linspace(0, 1, n);
        double minInv = Math.pow(sigmaMin, 1 / rho);
        double maxInv = Math.pow(sigmaMax, 1 / rho);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(maxInv + ramp[i] * (minInv - maxInv), rho);
        }
        return s;
    }
}
