package io.diffusionbatch.engine.schedule;

import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The noise-schedule settings of a diffusers {@code scheduler_config.json}, keys spelled as diffusers spells them.
 *
 * <p>Keys whose default differs between the diffusers scheduler classes ({@code beta_start}, {@code beta_end},
 * {@code beta_schedule}, {@code timestep_spacing}, {@code clip_sample}) are nullable here: {@code null} means
 * "not given", and each sampler fills them with its class's defaults through {@link #withDefaults(Defaults)}.
 * All other components are always set (missing keys take the value every diffusers class agrees on).
 * {@code trainedBetas} is null unless the config lists explicit betas; the array is copied in and out.
 *
 * <p>Instances are immutable and thread-safe. The compact constructor validates every value and throws
 * {@link IllegalArgumentException} naming the config key and the rule it breaks.
 *
 * @param numTrainTimesteps      {@code num_train_timesteps} (default 1000), at least 2
 * @param betaStart              {@code beta_start}, in (0, 1), or null
 * @param betaEnd                {@code beta_end}, in (0, 1), or null
 * @param betaSchedule           {@code beta_schedule}, or null
 * @param trainedBetas           {@code trained_betas}: one beta per training step, each in (0, 1], or null
 * @param predictionType         {@code prediction_type} (default epsilon), never null
 * @param timestepSpacing        {@code timestep_spacing}, or null
 * @param stepsOffset            {@code steps_offset} (default 0), in [0, num_train_timesteps)
 * @param setAlphaToOne          {@code set_alpha_to_one} (default true)
 * @param clipSample             {@code clip_sample}, or null
 * @param clipSampleRange        {@code clip_sample_range} (default 1.0), positive
 * @param rescaleBetasZeroSnr    {@code rescale_betas_zero_snr} (default false)
 * @param originalInferenceSteps {@code original_inference_steps} (LCM, default 50), in [1, num_train_timesteps]
 * @param timestepScaling        {@code timestep_scaling} (LCM, default 10.0), positive and finite
 */
public record SchedulerConfig(
        int numTrainTimesteps,
        Double betaStart,
        Double betaEnd,
        BetaSchedule betaSchedule,
        double[] trainedBetas,
        PredictionType predictionType,
        TimestepSpacing timestepSpacing,
        int stepsOffset,
        boolean setAlphaToOne,
        Boolean clipSample,
        double clipSampleRange,
        boolean rescaleBetasZeroSnr,
        int originalInferenceSteps,
        double timestepScaling) {

    private static final JsonMapper MAPPER = Json.MAPPER;

    /**
     * The per-class defaults of the keys diffusers' scheduler classes disagree on.
     *
     * @param betaStart       default {@code beta_start}
     * @param betaEnd         default {@code beta_end}
     * @param betaSchedule    default {@code beta_schedule}, never null
     * @param timestepSpacing default {@code timestep_spacing}, never null
     * @param clipSample      default {@code clip_sample}
     */
    public record Defaults(double betaStart, double betaEnd, BetaSchedule betaSchedule,
                           TimestepSpacing timestepSpacing, boolean clipSample) {
        public Defaults {
            Objects.requireNonNull(betaSchedule, "betaSchedule");
            Objects.requireNonNull(timestepSpacing, "timestepSpacing");
        }
    }

    public SchedulerConfig {
        if (numTrainTimesteps < 2) {
            throw new IllegalArgumentException(
                    "num_train_timesteps: must be at least 2, got " + numTrainTimesteps);
        }
        if (betaStart != null && !(betaStart > 0 && betaStart < 1)) {
            throw new IllegalArgumentException("beta_start: must be in (0, 1), got " + betaStart);
        }
        if (betaEnd != null && !(betaEnd > 0 && betaEnd < 1)) {
            throw new IllegalArgumentException("beta_end: must be in (0, 1), got " + betaEnd);
        }
        if (trainedBetas != null) {
            if (trainedBetas.length != numTrainTimesteps) {
                throw new IllegalArgumentException("trained_betas: must have num_train_timesteps ("
                        + numTrainTimesteps + ") entries, got " + trainedBetas.length);
            }
            for (int i = 0; i < trainedBetas.length; i++) {
                double b = trainedBetas[i];
                if (!(b > 0 && b <= 1)) {
                    throw new IllegalArgumentException(
                            "trained_betas: every beta must be in (0, 1], entry " + i + " is " + b);
                }
            }
            trainedBetas = trainedBetas.clone();
        }
        Objects.requireNonNull(predictionType, "prediction_type: must not be null");
        if (stepsOffset < 0 || stepsOffset >= numTrainTimesteps) {
            throw new IllegalArgumentException("steps_offset: must be in [0, num_train_timesteps), got " + stepsOffset);
        }
        if (!(clipSampleRange > 0) || Double.isInfinite(clipSampleRange)) {
            throw new IllegalArgumentException("clip_sample_range: must be positive and finite, got " + clipSampleRange);
        }
        if (originalInferenceSteps < 1 || originalInferenceSteps > numTrainTimesteps) {
            throw new IllegalArgumentException("original_inference_steps: must be in [1, num_train_timesteps="
                    + numTrainTimesteps + "], got " + originalInferenceSteps);
        }
        if (!(timestepScaling > 0) || Double.isInfinite(timestepScaling)) {
            throw new IllegalArgumentException("timestep_scaling: must be positive and finite, got " + timestepScaling);
        }
    }

    /** A config with every key missing: each sampler applies its diffusers class's defaults. */
    public static SchedulerConfig defaults() {
        return new SchedulerConfig(1000, null, null, null, null, PredictionType.EPSILON, null, 0, true, null,
                1.0, false, 50, 10.0);
    }

    /**
     * Reads a {@code scheduler_config.json} document. Unknown keys (e.g. {@code _class_name},
     * {@code skip_prk_steps}) are ignored; JSON {@code null} counts as missing.
     *
     * @param json the document, never null
     * @throws IllegalArgumentException if the JSON is malformed, a value has the wrong type or breaks its rule,
     *                                  or {@code thresholding} is true (unsupported)
     */
    public static SchedulerConfig fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("scheduler config: not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("scheduler config: must be a JSON object");
        }
        SchedulerConfig d = defaults();
        if (bool(root, "thresholding", false)) {
            throw new IllegalArgumentException("thresholding: dynamic thresholding is not supported; must be false");
        }
        int t = integer(root, "num_train_timesteps", d.numTrainTimesteps);
        String schedule = string(root, "beta_schedule");
        String prediction = string(root, "prediction_type");
        String spacing = string(root, "timestep_spacing");
        return new SchedulerConfig(
                t,
                number(root, "beta_start"),
                number(root, "beta_end"),
                schedule == null ? null : BetaSchedule.fromConfig(schedule),
                numbers(root, "trained_betas"),
                prediction == null ? d.predictionType : PredictionType.fromConfig(prediction),
                spacing == null ? null : TimestepSpacing.fromConfig(spacing),
                integer(root, "steps_offset", d.stepsOffset),
                bool(root, "set_alpha_to_one", d.setAlphaToOne),
                present(root, "clip_sample") ? bool(root, "clip_sample", false) : null,
                orElse(number(root, "clip_sample_range"), d.clipSampleRange),
                bool(root, "rescale_betas_zero_snr", d.rescaleBetasZeroSnr),
                integer(root, "original_inference_steps", d.originalInferenceSteps),
                orElse(number(root, "timestep_scaling"), d.timestepScaling));
    }

    /**
     * Reads a {@code scheduler_config.json} file (UTF-8).
     *
     * @throws UncheckedIOException     if the file cannot be read
     * @throws IllegalArgumentException as {@link #fromJson(String)}
     */
    public static SchedulerConfig fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            return fromJson(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("scheduler config: cannot read " + file, e);
        }
    }

    /** Fills the keys that are still missing with the given class defaults; set keys are kept. */
    public SchedulerConfig withDefaults(Defaults defaults) {
        Objects.requireNonNull(defaults, "defaults");
        return new SchedulerConfig(numTrainTimesteps,
                betaStart != null ? betaStart : defaults.betaStart(),
                betaEnd != null ? betaEnd : defaults.betaEnd(),
                betaSchedule != null ? betaSchedule : defaults.betaSchedule(),
                trainedBetas, predictionType,
                timestepSpacing != null ? timestepSpacing : defaults.timestepSpacing(),
                stepsOffset, setAlphaToOne,
                clipSample != null ? clipSample : defaults.clipSample(),
                clipSampleRange, rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    /** A copy of {@code trained_betas}, or null when none were given. */
    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    /** Copy with {@code prediction_type} replaced (never null). */
    public SchedulerConfig withPredictionType(PredictionType value) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas, value,
                timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange, rescaleBetasZeroSnr,
                originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code timestep_spacing} replaced (null: the sampler's default). */
    public SchedulerConfig withTimestepSpacing(TimestepSpacing value) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, value, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
                rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code beta_schedule}, {@code beta_start}, {@code beta_end} replaced (nulls: the sampler's default). */
    public SchedulerConfig withBetas(BetaSchedule schedule, Double start, Double end) {
        return new SchedulerConfig(numTrainTimesteps, start, end, schedule, trainedBetas, predictionType,
                timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange, rescaleBetasZeroSnr,
                originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code steps_offset} replaced. */
    public SchedulerConfig withStepsOffset(int value) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, timestepSpacing, value, setAlphaToOne, clipSample, clipSampleRange,
                rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code set_alpha_to_one} replaced. */
    public SchedulerConfig withSetAlphaToOne(boolean value) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, timestepSpacing, stepsOffset, value, clipSample, clipSampleRange,
                rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code clip_sample} (null: the sampler's default) and {@code clip_sample_range} replaced. */
    public SchedulerConfig withClipSample(Boolean clip, double range) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clip, range,
                rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    /** Copy with {@code rescale_betas_zero_snr} replaced. */
    public SchedulerConfig withRescaleBetasZeroSnr(boolean value) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
                value, originalInferenceSteps, timestepScaling);
    }

    /** Copy with the LCM keys {@code original_inference_steps} and {@code timestep_scaling} replaced. */
    public SchedulerConfig withLcm(int originalSteps, double scaling) {
        return new SchedulerConfig(numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas,
                predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
                rescaleBetasZeroSnr, originalSteps, scaling);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SchedulerConfig c
                && numTrainTimesteps == c.numTrainTimesteps
                && Objects.equals(betaStart, c.betaStart)
                && Objects.equals(betaEnd, c.betaEnd)
                && betaSchedule == c.betaSchedule
                && Arrays.equals(trainedBetas, c.trainedBetas)
                && predictionType == c.predictionType
                && timestepSpacing == c.timestepSpacing
                && stepsOffset == c.stepsOffset
                && setAlphaToOne == c.setAlphaToOne
                && Objects.equals(clipSample, c.clipSample)
                && Double.compare(clipSampleRange, c.clipSampleRange) == 0
                && rescaleBetasZeroSnr == c.rescaleBetasZeroSnr
                && originalInferenceSteps == c.originalInferenceSteps
                && Double.compare(timestepScaling, c.timestepScaling) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(numTrainTimesteps, betaStart, betaEnd, betaSchedule, Arrays.hashCode(trainedBetas),
                predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
                rescaleBetasZeroSnr, originalInferenceSteps, timestepScaling);
    }

    @Override
    public String toString() {
        return "SchedulerConfig[num_train_timesteps=" + numTrainTimesteps + ", beta_start=" + betaStart
                + ", beta_end=" + betaEnd + ", beta_schedule=" + (betaSchedule == null ? null : betaSchedule.configValue())
                + ", trained_betas=" + (trainedBetas == null ? "null" : trainedBetas.length + " values")
                + ", prediction_type=" + predictionType.configValue()
                + ", timestep_spacing=" + (timestepSpacing == null ? null : timestepSpacing.configValue())
                + ", steps_offset=" + stepsOffset + ", set_alpha_to_one=" + setAlphaToOne
                + ", clip_sample=" + clipSample + ", clip_sample_range=" + clipSampleRange
                + ", rescale_betas_zero_snr=" + rescaleBetasZeroSnr
                + ", original_inference_steps=" + originalInferenceSteps
                + ", timestep_scaling=" + timestepScaling + "]";
    }

    // ---- JSON helpers -------------------------------------------------------------------------------------

    private static boolean present(JsonNode root, String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    private static double orElse(Double value, double fallback) {
        return value != null ? value : fallback;
    }

    private static Double number(JsonNode root, String key) {
        if (!present(root, key)) {
            return null;
        }
        JsonNode n = root.get(key);
        if (!n.isNumber()) {
            throw new IllegalArgumentException(key + ": must be a number, got " + n);
        }
        return n.doubleValue();
    }

    private static int integer(JsonNode root, String key, int fallback) {
        if (!present(root, key)) {
            return fallback;
        }
        JsonNode n = root.get(key);
        if (!n.isNumber() || !n.canConvertToInt() || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(key + ": must be an integer, got " + n);
        }
        return (int) n.doubleValue();
    }

    private static boolean bool(JsonNode root, String key, boolean fallback) {
        if (!present(root, key)) {
            return fallback;
        }
        JsonNode n = root.get(key);
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(key + ": must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    private static String string(JsonNode root, String key) {
        if (!present(root, key)) {
            return null;
        }
        JsonNode n = root.get(key);
        if (!n.isString()) {
            throw new IllegalArgumentException(key + ": must be a string, got " + n);
        }
        return n.asString();
    }

    private static double[] numbers(JsonNode root, String key) {
        if (!present(root, key)) {
            return null;
        }
        JsonNode n = root.get(key);
        if (!n.isArray()) {
            throw new IllegalArgumentException(key + ": must be an array of numbers, got " + n.getNodeType());
        }
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = n.get(i);
            if (e == null || !e.isNumber()) {
                throw new IllegalArgumentException(key + ": entry " + i + " must be a number, got " + e);
            }
            out[i] = e.doubleValue();
        }
        return out;
    }
}
