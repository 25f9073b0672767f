package io.diffusionbatch.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {

    private static final String SD15 = """
            {
              "_class_name": "PNDMScheduler",
              "_diffusers_version": "0.6.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "num_train_timesteps": 1000,
              "set_alpha_to_one": false,
              "skip_prk_steps": true,
              "steps_offset": 1,
              "trained_betas": null,
              "clip_sample": false
            }""";

    @Test
    void readsTheStableDiffusionConfigIgnoringUnknownKeys() {
        SchedulerConfig c = SchedulerConfig.fromJson(SD15);
        assertThat(c.numTrainTimesteps()).isEqualTo(1000);
        assertThat(c.betaStart()).isEqualTo(0.00085);
        assertThat(c.betaEnd()).isEqualTo(0.012);
        assertThat(c.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
        assertThat(c.trainedBetas()).isNull();
        assertThat(c.stepsOffset()).isEqualTo(1);
        assertThat(c.setAlphaToOne()).isFalse();
        assertThat(c.clipSample()).isFalse();
        assertThat(c.predictionType()).isEqualTo(PredictionType.EPSILON);
        assertThat(c.timestepSpacing()).isNull();
    }

    @Test
    void missingKeysTakeDefaultsAndPerClassDefaultsAreFilledLater() {
        SchedulerConfig c = SchedulerConfig.fromJson("{}");
        assertThat(c).isEqualTo(SchedulerConfig.defaults());
        assertThat(c.originalInferenceSteps()).isEqualTo(50);
        assertThat(c.timestepScaling()).isEqualTo(10.0);
        assertThat(c.clipSampleRange()).isEqualTo(1.0);
        assertThat(c.setAlphaToOne()).isTrue();
        SchedulerConfig.Defaults d = new SchedulerConfig.Defaults(0.1, 0.2, BetaSchedule.LINEAR,
                TimestepSpacing.TRAILING, true);
        SchedulerConfig filled = c.withDefaults(d);
        assertThat(filled.betaStart()).isEqualTo(0.1);
        assertThat(filled.timestepSpacing()).isEqualTo(TimestepSpacing.TRAILING);
        assertThat(filled.clipSample()).isTrue();
        // keys that were given win over the defaults
        SchedulerConfig sd = SchedulerConfig.fromJson(SD15).withDefaults(d);
        assertThat(sd.betaStart()).isEqualTo(0.00085);
        assertThat(sd.clipSample()).isFalse();
    }

    @Test
    void withersOverrideOneField() {
        SchedulerConfig c = SchedulerConfig.fromJson(SD15)
                .withPredictionType(PredictionType.V_PREDICTION)
                .withTimestepSpacing(TimestepSpacing.TRAILING)
                .withStepsOffset(0)
                .withRescaleBetasZeroSnr(true);
        assertThat(c.predictionType()).isEqualTo(PredictionType.V_PREDICTION);
        assertThat(c.timestepSpacing()).isEqualTo(TimestepSpacing.TRAILING);
        assertThat(c.stepsOffset()).isZero();
        assertThat(c.rescaleBetasZeroSnr()).isTrue();
        assertThat(c.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
    }

    @Test
    void readsEveryHonouredKey() {
        SchedulerConfig c = SchedulerConfig.fromJson("""
                {"num_train_timesteps": 4, "trained_betas": [0.1, 0.2, 0.3, 0.4],
                 "prediction_type": "v_prediction", "timestep_spacing": "linspace", "steps_offset": 2,
                 "set_alpha_to_one": true, "clip_sample": true, "clip_sample_range": 2.5,
                 "rescale_betas_zero_snr": true, "original_inference_steps": 3, "timestep_scaling": 5,
                 "thresholding": false}""");
        assertThat(c.trainedBetas()).containsExactly(0.1, 0.2, 0.3, 0.4);
        assertThat(c.predictionType()).isEqualTo(PredictionType.V_PREDICTION);
        assertThat(c.timestepSpacing()).isEqualTo(TimestepSpacing.LINSPACE);
        assertThat(c.stepsOffset()).isEqualTo(2);
        assertThat(c.clipSample()).isTrue();
        assertThat(c.clipSampleRange()).isEqualTo(2.5);
        assertThat(c.rescaleBetasZeroSnr()).isTrue();
        assertThat(c.originalInferenceSteps()).isEqualTo(3);
        assertThat(c.timestepScaling()).isEqualTo(5.0);
    }

    @Test
    void readsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("scheduler_config.json");
        Files.writeString(f, SD15);
        assertThat(SchedulerConfig.fromFile(f)).isEqualTo(SchedulerConfig.fromJson(SD15));
        assertThatThrownBy(() -> SchedulerConfig.fromFile(dir.resolve("missing.json")))
                .hasMessageContaining("missing.json");
    }

    @Test
    void rejectsUnknownEnumValuesNamingKeyAndChoices() {
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"beta_schedule\": \"foo\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("beta_schedule: unknown 'foo'; one of linear, scaled_linear, squaredcos_cap_v2");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"prediction_type\": \"noise\"}"))
                .hasMessage("prediction_type: unknown 'noise'; one of epsilon, v_prediction, sample");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"timestep_spacing\": \"even\"}"))
                .hasMessage("timestep_spacing: unknown 'even'; one of leading, trailing, linspace");
    }

    @Test
    void rejectsBadValuesNamingTheKey() {
        assertBad("{\"num_train_timesteps\": 1}", "num_train_timesteps");
        assertBad("{\"num_train_timesteps\": 10.5}", "num_train_timesteps: must be an integer");
        assertBad("{\"beta_start\": 0}", "beta_start: must be in (0, 1)");
        assertBad("{\"beta_end\": 1.5}", "beta_end: must be in (0, 1)");
        assertBad("{\"beta_end\": \"high\"}", "beta_end: must be a number");
        assertBad("{\"steps_offset\": -1}", "steps_offset");
        assertBad("{\"clip_sample\": \"yes\"}", "clip_sample: must be true or false");
        assertBad("{\"clip_sample_range\": 0}", "clip_sample_range: must be positive");
        assertBad("{\"original_inference_steps\": 0}", "original_inference_steps");
        assertBad("{\"original_inference_steps\": 2000}", "original_inference_steps");
        assertBad("{\"timestep_scaling\": -1}", "timestep_scaling");
        assertBad("{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2]}", "trained_betas: must have");
        assertBad("{\"num_train_timesteps\": 2, \"trained_betas\": [0.1, 1.2]}", "trained_betas: every beta");
        assertBad("{\"trained_betas\": 0.1}", "trained_betas: must be an array");
        assertBad("{\"thresholding\": true}", "thresholding");
        assertBad("{\"prediction_type\": 3}", "prediction_type: must be a string");
        assertBad("[1, 2]", "must be a JSON object");
        assertBad("{\"beta_start\": ", "not valid JSON");
    }

    private static void assertBad(String json, String message) {
        assertThatThrownBy(() -> SchedulerConfig.fromJson(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
