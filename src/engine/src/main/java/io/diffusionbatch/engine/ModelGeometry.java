package io.diffusionbatch.engine;

import io.diffusionbatch.engine.ParamViolation.Param;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.engine.schedule.PredictionType;
import io.diffusionbatch.engine.schedule.SchedulerConfig;
import io.diffusionbatch.engine.schedule.TimestepSpacing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a model's networks can make, as plain data read once from its graphs ({@link Engine#geometry()}): the
 * pixels per latent cell, the latent and output channels, and the sizes its graphs fix. It checks settings against
 * the model ({@link #violations}) and estimates the memory of one micro-batch ({@link #batchBytes}) without touching
 * ONNX Runtime, so that a request parser can apply the engine's own rules cheaply to every request. Immutable and
 * thread-safe.
 *
 * @param modelName      the name used in messages; never null
 * @param video          whether the UNet takes (batch, channels, frames, height, width) samples
 * @param conditional    whether the model has a text encoder (else guidance must be at most 1)
 * @param latent         whether a VAE decodes the latents (else the UNet's samples are the pixels)
 * @param sizeFactor     pixels per latent cell along each side: the VAE's upscaling factor, 1 for pixel models; >= 1
 * @param latentChannels channels of a latent (of the output, for pixel models); >= 1
 * @param pixelChannels  channels of a decoded frame (the VAE output's fixed channel dimension, else 3; for pixel
 *                       models the latent channels); >= 1
 * @param fixedWidth     the only width in pixels the graphs allow (their fixed spatial dimension × the factor), or 0
 *                       when the width is dynamic
 * @param fixedHeight    likewise for the height, or 0
 * @param fixedFrames    the only frame count a video UNet allows, or 0 when dynamic (always 0 for image models)
 * @param guidanceEmbedded whether the UNet takes the guidance scale as an embedding ({@code timestep_cond}, a
 *                       guidance-distilled consistency model) instead of an unconditional second pass
 * @param scheduler      the model's scheduler config, against which {@link #violations} builds the sampler (so that
 *                       steps its timestep table cannot give are refused before any work); null = not checked
 */
public record ModelGeometry(String modelName, boolean video, boolean conditional, boolean latent, int sizeFactor,
                            long latentChannels, long pixelChannels, int fixedWidth, int fixedHeight, int fixedFrames,
                            boolean guidanceEmbedded, SchedulerConfig scheduler) {

    /** A model that takes guidance the usual way, by an unconditional second pass, with no scheduler check. */
    public ModelGeometry(String modelName, boolean video, boolean conditional, boolean latent, int sizeFactor,
                         long latentChannels, long pixelChannels, int fixedWidth, int fixedHeight, int fixedFrames) {
        this(modelName, video, conditional, latent, sizeFactor, latentChannels, pixelChannels, fixedWidth, fixedHeight,
                fixedFrames, false, null);
    }

    /** The most values one Java array (and so one input tensor) can hold. */
    public static final long MAX_TENSOR = Integer.MAX_VALUE - 8;

    public ModelGeometry {
        Objects.requireNonNull(modelName, "modelName");
        if (sizeFactor < 1 || latentChannels < 1 || pixelChannels < 1 || fixedWidth < 0 || fixedHeight < 0
                || fixedFrames < 0 || (!video && fixedFrames != 0)) {
            throw new IllegalArgumentException("geometry of " + modelName + ": factor, channels must be >= 1 and fixed"
                    + " sizes >= 0 (frames 0 for image models), were factor " + sizeFactor + ", channels "
                    + latentChannels + "/" + pixelChannels + ", fixed " + fixedWidth + "x" + fixedHeight + "x"
                    + fixedFrames);
        }
    }

    /**
     * Checks settings against this model (not against their own ranges: {@link SamplingParams#violations()} does):
     * width and height a multiple of {@link #sizeFactor} and equal to a fixed size, frames of a video model (and
     * none for an image model), guidance of an unconditional model, the largest tensor of a micro-batch, and (when the
     * settings are valid otherwise and a scheduler is known) that the sampler can be built on the model's schedule.
     *
     * @param p         the settings; never null
     * @param batchSize items per micro-batch, >= 1
     * @return one violation per broken rule (rules {@link ParamViolation#MODEL_SIZE}, {@link ParamViolation#MODEL_KIND},
     *         {@link ParamViolation#TENSOR_SIZE}, {@link ParamViolation#SAMPLER_CONFIG}); empty when the model can make it
     */
    public List<ParamViolation> violations(SamplingParams p, int batchSize) {
        List<ParamViolation> v = new ArrayList<>();
        checkSide(v, Param.WIDTH, p.width(), fixedWidth);
        checkSide(v, Param.HEIGHT, p.height(), fixedHeight);
        if (!video && p.frames() != 0) {
            v.add(new ParamViolation(Param.FRAMES, ParamViolation.MODEL_KIND, "model " + modelName
                    + " is an image model; frames must be 0, was " + p.frames()));
        }
        if (video && p.frames() < 1) {
            v.add(new ParamViolation(Param.FRAMES, ParamViolation.MODEL_KIND, "model " + modelName
                    + " is a video model; frames must be >= 1, was " + p.frames()));
        }
        if (video && fixedFrames > 0 && p.frames() >= 1 && p.frames() != fixedFrames) {
            v.add(new ParamViolation(Param.FRAMES, ParamViolation.MODEL_SIZE, "model " + modelName + " makes exactly "
                    + fixedFrames + " frames (fixed in its graph), was " + p.frames()));
        }
        long perCall = largestTensor(p, batchSize);
        if (perCall > MAX_TENSOR) {
            v.add(new ParamViolation(Param.SIZE, ParamViolation.TENSOR_SIZE, "a micro-batch of " + batchSize
                    + " would need " + perCall + " values in one tensor; at most " + MAX_TENSOR
                    + " fit (lower the size, frames or batch)"));
        }
        if (!conditional && p.guidance() > 1) {
            v.add(new ParamViolation(Param.GUIDANCE, ParamViolation.MODEL_KIND, "model " + modelName
                    + " is unconditional (no text encoder); guidance must be <= 1, was " + p.guidance()));
        }
        if (scheduler != null && v.isEmpty() && p.violations().isEmpty()) {
            try {
                Samplers.create(p.sampler(), schedulerFor(scheduler, p), p.steps(), p.eta());
            } catch (IllegalArgumentException e) {
                // the samplers' own messages start with the setting they refuse ("steps: ...")
                Param param = Param.ofMessagePrefix(e.getMessage());
                String m = e.getMessage();
                String text = m.startsWith(param.optionName() + ":") ? m.substring(param.optionName().length() + 1).trim() : m;
                v.add(new ParamViolation(param, ParamViolation.SAMPLER_CONFIG, text));
            }
        }
        return v;
    }

    /** The model's scheduler config with the settings' overrides of timestep spacing and prediction type. */
    static SchedulerConfig schedulerFor(SchedulerConfig c, SamplingParams p) {
        if (p.timestepSpacing() != null) {
            c = c.withTimestepSpacing(TimestepSpacing.fromConfig(p.timestepSpacing()));
        }
        if (p.predictionType() != null) {
            c = c.withPredictionType(PredictionType.fromConfig(p.predictionType()));
        }
        return c;
    }

    private void checkSide(List<ParamViolation> v, Param side, int pixels, int fixed) {
        if (pixels % sizeFactor != 0) {
            v.add(new ParamViolation(side, ParamViolation.MODEL_SIZE, "must be a multiple of " + sizeFactor
                    + " for model " + modelName + " (its VAE's scale factor), was " + pixels));
        } else if (fixed > 0 && pixels != fixed) {
            v.add(new ParamViolation(side, ParamViolation.MODEL_SIZE, "model " + modelName + " only makes " + fixed
                    + " (fixed in its graph), was " + pixels));
        }
    }

    /**
     * Whether these settings run the UNet a second time for the unconditional (negative-prompt) half of
     * classifier-free guidance: guidance above 1 on a conditional model that does not take guidance as an
     * embedding. Where it does not, a negative prompt has no effect.
     *
     * @param p the settings; never null
     */
    public boolean unconditionalPass(SamplingParams p) {
        return p.usesGuidance() && conditional && !guidanceEmbedded;
    }

    /** Values of the largest single array of a micro-batch: the guided UNet input or the decoded pixels. */
    private long largestTensor(SamplingParams p, int batchSize) {
        long frames = Math.max(1, p.frames());
        long cells = (long) (p.width() / sizeFactor) * (p.height() / sizeFactor) * frames;
        return Math.max(2L * batchSize * latentChannels * cells,
                (long) batchSize * Math.max(4, pixelChannels) * frames * p.width() * p.height());
    }

    /**
     * An upper estimate of the bytes the engine holds at once for one micro-batch of {@code batchSize} items with
     * these settings: every float array and ONNX Runtime input/output tensor of {@link Engine#generate}, counted
     * from the latent of one item (L = latent channels × frames × height/factor × width/factor values), its decoded
     * pixels (P = pixel channels × frames × height × width) and the UNet's rows (r = 2 × batch with classifier-free
     * guidance, else batch):
     * <ul>
     *   <li>denoising: the latents, the prediction and up to two sampler histories (4 × batch × L), the UNet's
     *       input, its per-call copy and input tensor, its output tensor and arrays (5 × r × L);</li>
     *   <li>decoding (latent models): the latents and their scaled rows, stacked copy, per-call copy and input tensor
     *       (5 × batch × L), the VAE's output tensor, its arrays and the per-item frames (3 × batch × P); pixel
     *       models copy the latents once (2 × batch × L);</li>
     * </ul>
     * both phases summed (the first may not be collected before the second), 4 bytes a value. Not included: the
     * text embeddings (small), the networks' weights and ONNX Runtime's intermediate activations, which depend on
     * their layers: the estimate is a floor for those and a bound for the engine's own buffers.
     *
     * @param p         the settings; never null
     * @param batchSize items per micro-batch, >= 1
     * @return bytes, saturating at {@link Long#MAX_VALUE}
     */
    public long batchBytes(SamplingParams p, int batchSize) {
        double frames = video ? Math.max(1, p.frames()) : 1;
        double latentValues = latentChannels * frames * (double) (p.height() / sizeFactor) * (p.width() / sizeFactor);
        double pixelValues = pixelChannels * frames * (double) p.height() * p.width();
        double rows = (unconditionalPass(p) ? 2.0 : 1.0) * batchSize;
        double denoise = 4.0 * batchSize * latentValues + 5.0 * rows * latentValues;
        double decode = latent
                ? 5.0 * batchSize * latentValues + 3.0 * batchSize * pixelValues
                : 2.0 * batchSize * latentValues;
        double bytes = 4.0 * (denoise + decode);
        return bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes;
    }

    /** Bytes in GiB with one decimal, e.g. {@code 13.7 GiB}; below 1 GiB in MiB ({@code 652.0 MiB}). */
    public static String gib(long bytes) {
        double g = bytes / (double) (1L << 30);
        return g >= 1 ? String.format(Locale.ROOT, "%.1f GiB", g)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
