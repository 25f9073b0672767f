package io.diffusionbatch.engine.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.diffusionbatch.engine.schedule.SchedulerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Replays every case of {@code fixtures/samplers/reference.json}, written by an independent numpy
 * implementation of the diffusers schedulers ({@code tools/sampler_reference.py}), through the Java samplers:
 * timestep, sigma, initial-noise and input-scale tables and the whole trajectory of a toy model.
 */
class SamplerFixtureTest {

    private static final String FIXTURE = "/fixtures/samplers/reference.json";

    private static JsonNode cases() throws IOException {
        try (InputStream in = SamplerFixtureTest.class.getResourceAsStream(FIXTURE)) {
            assertThat(in).as("fixture " + FIXTURE).isNotNull();
            JsonNode root = JsonMapper.builder().build().readTree(in);
            return root.get("cases");
        }
    }

    @Test
    void fixtureCoversEverySampler() throws IOException {
        Set<String> seen = new HashSet<>();
        for (JsonNode c : cases()) {
            seen.add(c.get("sampler").asString());
        }
        assertThat(seen).containsAll(Samplers.names());
    }

    @TestFactory
    Stream<DynamicTest> replaysEveryCase() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asString(), () -> replay(c)));
        }
        assertThat(tests).isNotEmpty();
        return tests.stream();
    }

    private static void replay(JsonNode c) {
        String name = c.get("name").asString();
        String samplerName = c.get("sampler").asString();
        SchedulerConfig config = SchedulerConfig.fromJson(c.get("config").toString());
        int steps = c.get("steps").intValue();
        double eta = c.get("eta").doubleValue();
        Sampler sampler = Samplers.create(samplerName, config, steps, eta);

        assertThat(sampler.name()).isEqualTo(samplerName);
        double[] ts = doubles(c.get("timesteps"));
        double[] actualTs = sampler.timesteps();
        assertThat(actualTs).as(name + " timesteps").hasSize(ts.length);
        for (int i = 0; i < ts.length; i++) {
            assertThat(Math.abs(actualTs[i] - ts[i])).as(name + " timestep " + i + ": " + actualTs[i] + " vs " + ts[i])
                    .isLessThanOrEqualTo(1e-9);
        }
        double[] sigmas = doubles(c.get("sigmas"));
        double[] actualSigmas = sampler.sigmas();
        assertThat(actualSigmas).as(name + " sigmas").hasSize(sigmas.length);
        for (int i = 0; i < sigmas.length; i++) {
            assertRel(name + " sigma " + i, actualSigmas[i], sigmas[i], 1e-6);
        }
        assertRel(name + " init_noise_sigma", sampler.initNoiseSigma(), c.get("init_noise_sigma").doubleValue(), 1e-6);
        double[] scales = doubles(c.get("input_scales"));
        for (int i = 0; i < scales.length; i++) {
            assertRel(name + " input_scale " + i, sampler.inputScale(i), scales[i], 1e-6);
        }
        assertThat(sampler.isStochastic()).as(name + " isStochastic")
                .isEqualTo(Samplers.isStochastic(samplerName, eta));

        // Batch of two identical samples: both must follow the reference trajectory on their own.
        float[] xInit = floats(c.get("x_init"));
        float[][] x = {xInit.clone(), xInit.clone()};
        JsonNode noiseRows = c.get("noise");
        JsonNode trajectory = c.get("trajectory");
        assertThat(trajectory.size()).as(name + " trajectory rows").isEqualTo(steps);
        boolean stochastic = sampler.isStochastic();
        List<String> calls = new ArrayList<>();
        StepNoise noise = (sample, step, length) -> {
            if (!stochastic) {
                fail(name + ": deterministic sampler asked for noise at step " + step);
            }
            calls.add(sample + "@" + step);
            assertThat(sample).isBetween(0, 1);
            float[] row = floats(noiseRows.get(step));
            assertThat(length).isEqualTo(row.length);
            return row;
        };
        for (int i = 0; i < actualTs.length; i++) {
            double scale = sampler.inputScale(i);
            double t = actualTs[i];
            float[][] out = new float[x.length][];
            for (int b = 0; b < x.length; b++) {
                out[b] = new float[x[b].length];
                for (int j = 0; j < x[b].length; j++) {
                    out[b][j] = (float) (0.1 * (x[b][j] * scale) + 0.05 * Math.cos(0.01 * t));
                }
            }
            sampler.step(i, x, out, noise);
            double[] expected = doubles(trajectory.get(i));
            for (int b = 0; b < x.length; b++) {
                for (int j = 0; j < expected.length; j++) {
                    double tol = 2e-5 + 1e-5 * Math.abs(expected[j]);
                    if (!(Math.abs(x[b][j] - expected[j]) <= tol)) {
                        fail(name + ": step " + i + " sample " + b + " value " + j + ": got " + x[b][j]
                                + ", reference " + expected[j]);
                    }
                }
            }
        }
        if (stochastic) {
            assertThat(calls).as(name + " noise requests").isNotEmpty();
        }
    }

    private static void assertRel(String what, double actual, double expected, double rel) {
        double tol = rel * Math.abs(expected) + 1e-12;
        if (!(Math.abs(actual - expected) <= tol)) {
            fail(what + ": got " + actual + ", reference " + expected);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).doubleValue();
        }
        return out;
    }
}
