package io.diffusionbatch.engine.schedule;

import java.util.Objects;

/**
 * The training noise schedule of a diffusion model: betas β, alphas α = 1 − β, cumulative products
 * ᾱ_t = ∏_{s≤t} α_s and the corresponding noise levels σ_t = √((1 − ᾱ_t) / ᾱ_t), indexed by training
 * timestep 0 … T−1. Computed in double precision (diffusers computes the same quantities in float32).
 *
 * <p>Immutable and thread-safe; accessors return copies. Factories never accept null.
 */
public final class NoiseSchedule {

    private final double[] betas;
    private final double[] alphasCumprod;

    private NoiseSchedule(double[] betas, double[] alphasCumprod) {
        this.betas = betas;
        this.alphasCumprod = alphasCumprod;
    }

    /**
     * Builds the schedule a resolved config describes: {@code trained_betas} when given, otherwise the
     * {@code beta_schedule} from {@code beta_start}/{@code beta_end}, then the zero-terminal-SNR rescale if
     * {@code rescale_betas_zero_snr} is set.
     *
     * @param config a config whose per-class defaults are filled ({@link SchedulerConfig#withDefaults})
     * @throws IllegalArgumentException if the beta keys are still missing
     */
    public static NoiseSchedule of(SchedulerConfig config) {
        Objects.requireNonNull(config, "config");
        int n = config.numTrainTimesteps();
        double[] betas;
        if (config.trainedBetas() != null) {
            betas = config.trainedBetas();
        } else {
            if (config.betaSchedule() == null) {
                throw new IllegalArgumentException("beta_schedule: missing; fill the sampler defaults first");
            }
            switch (config.betaSchedule()) {
                case SQUAREDCOS_CAP_V2 -> betas = squaredCosCapV2(n);
                case LINEAR, SCALED_LINEAR -> {
                    if (config.betaStart() == null || config.betaEnd() == null) {
                        throw new IllegalArgumentException("beta_start/beta_end: missing; fill the sampler defaults first");
                    }
                    betas = config.betaSchedule() == BetaSchedule.LINEAR
                            ? linear(config.betaStart(), config.betaEnd(), n)
                            : scaledLinear(config.betaStart(), config.betaEnd(), n);
                }
                default -> throw new AssertionError(config.betaSchedule());
            }
        }
        if (config.rescaleBetasZeroSnr()) {
            betas = rescaleZeroTerminalSnr(betas);
        }
        return fromBetas(betas);
    }

    /** Schedule from explicit betas (each in (0, 1]); the array is copied. */
    public static NoiseSchedule fromBetas(double[] betas) {
        Objects.requireNonNull(betas, "betas");
        if (betas.length < 1) {
            throw new IllegalArgumentException("betas: must not be empty");
        }
        double[] b = betas.clone();
        double[] ac = new double[b.length];
        double prod = 1.0;
        for (int i = 0; i < b.length; i++) {
            prod *= 1.0 - b[i];
            ac[i] = prod;
        }
        return new NoiseSchedule(b, ac);
    }

    /** {@code linspace(start, end, n)} (Ho et al. 2020). */
    public static double[] linear(double start, double end, int n) {
        return linspaceSymmetric(start, end, n);
    }

    /** {@code linspace(√start, √end, n)²}: the Stable Diffusion ("scaled_linear") schedule. */
    public static double[] scaledLinear(double start, double end, int n) {
        double[] b = linspaceSymmetric(Math.sqrt(start), Math.sqrt(end), n);
        for (int i = 0; i < n; i++) {
            b[i] = b[i] * b[i];
        }
        return b;
    }

    /**
     * The cosine schedule of Nichol &amp; Dhariwal 2021 ("Improved DDPM"):
     * β_i = min(1 − ᾱ((i+1)/n) / ᾱ(i/n), 0.999) with ᾱ(t) = cos²((t + 0.008) / 1.008 · π/2).
     */
    public static double[] squaredCosCapV2(int n) {
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            b[i] = Math.min(1 - cosAlphaBar(t2) / cosAlphaBar(t1), 0.999);
        }
        return b;
    }

    private static double cosAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /**
     * Rescales betas so that the terminal signal-to-noise ratio is zero (Lin et al. 2023, algorithm 1):
     * √ᾱ is shifted so its last value is 0 and scaled so its first value is unchanged.
     */
    public static double[] rescaleZeroTerminalSnr(double[] betas) {
        int n = betas.length;
        double[] sqrtAc = new double[n];
        double prod = 1.0;
        for (int i = 0; i < n; i++) {
            prod *= 1.0 - betas[i];
            sqrtAc[i] = Math.sqrt(prod);
        }
        double first = sqrtAc[0];
        double last = sqrtAc[n - 1];
        double scale = first / (first - last);
        double[] ac = new double[n];
        for (int i = 0; i < n; i++) {
            double s = (sqrtAc[i] - last) * scale;
            ac[i] = s * s;
        }
        double[] out = new double[n];
        out[0] = 1 - ac[0];
        for (int i = 1; i < n; i++) {
            out[i] = 1 - ac[i] / ac[i - 1];
        }
        return out;
    }

    /** torch.linspace's formula: forward from the start for the first half, backward from the end after. */
    private static double[] linspaceSymmetric(double start, double end, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        }
        return out;
    }

    /**
     * A copy whose last ᾱ is replaced by {@code value}; the Euler and DPM-Solver schedulers of diffusers use
     * 2⁻²⁴ after a zero-SNR rescale so that the terminal σ stays finite. Betas are left as they are.
     */
    public NoiseSchedule withTerminalAlphaCumprod(double value) {
        double[] ac = alphasCumprod.clone();
        ac[ac.length - 1] = value;
        return new NoiseSchedule(betas.clone(), ac);
    }

    /** Number of training timesteps T. */
    public int size() {
        return betas.length;
    }

    /** β_t, a copy. */
    public double[] betas() {
        return betas.clone();
    }

    /** α_t = 1 − β_t. */
    public double[] alphas() {
        double[] a = new double[betas.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = 1.0 - betas[i];
        }
        return a;
    }

    /** ᾱ_t, a copy. */
    public double[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** ᾱ_t for one training timestep. */
    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** σ_t = √((1 − ᾱ_t) / ᾱ_t) for every training timestep (increasing with t). */
    public double[] sigmas() {
        double[] s = new double[alphasCumprod.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.sqrt((1 - alphasCumprod[i]) / alphasCumprod[i]);
        }
        return s;
    }
}
