package io.diffusionbatch.engine;

/**
 * Classifier-free guidance (Ho &amp; Salimans 2022, "Classifier-Free Diffusion Guidance"):
 * {@code out = uncond + w · (cond − uncond)}, optionally rescaled towards the conditional
 * prediction's standard deviation (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample
 * Steps are Flawed", eq. 15–16): {@code out ← φ · out · std(cond)/std(out) + (1 − φ) · out},
 * the standard deviations taken per sample over all its elements with Bessel's correction, as the
 * diffusers library does. Stateless and thread-safe.
 */
public final class Guidance {

    private Guidance() {
    }

    /**
     * Combines one sample's predictions in place into {@code cond}.
     *
     * @param cond    conditional prediction; receives the guided result
     * @param uncond  unconditional (or negative-prompt) prediction
     * @param scale   guidance scale w
     * @param rescale φ in [0, 1]; 0 disables rescaling
     */
    public static void apply(float[] cond, float[] uncond, double scale, double rescale) {
        if (cond.length != uncond.length) {
            throw new IllegalArgumentException("cond and uncond differ in length");
        }
        double condStd = rescale > 0 ? std(cond) : 0;
        for (int i = 0; i < cond.length; i++) {
            cond[i] = (float) (uncond[i] + scale * ((double) cond[i] - uncond[i]));
        }
        if (rescale > 0) {
            double guidedStd = std(cond);
            double factor = guidedStd == 0 ? 1 : rescale * condStd / guidedStd + (1 - rescale);
            for (int i = 0; i < cond.length; i++) {
                cond[i] = (float) (cond[i] * factor);
            }
        }
    }

    static double std(float[] v) {
        double mean = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= v.length;
        double ss = 0;
        for (float x : v) {
            ss += (x - mean) * (x - mean);
        }
        return Math.sqrt(ss / (v.length - 1));
    }
}
