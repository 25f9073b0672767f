package io.diffusionbatch.engine.noise;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class SeedNoiseTest {

    @Test
    void matchesTheIndependentPythonImplementationBitForBit() throws Exception {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/noise/seed_noise.json")) {
            root = JsonMapper.builder().build().readTree(in);
        }
        assertThat(root.get("cases").size()).isGreaterThanOrEqualTo(5);
        for (JsonNode c : root.get("cases")) {
            float[] got = SeedNoise.gaussian(c.get("seed").asLong(), c.get("stream").asLong(), c.get("length").asInt());
            JsonNode bits = c.get("float32_bits");
            assertThat(got).hasSize(bits.size());
            for (int i = 0; i < got.length; i++) {
                assertThat(Float.floatToRawIntBits(got[i]))
                        .as("seed %s stream %s index %d", c.get("seed"), c.get("stream"), i)
                        .isEqualTo((int) bits.get(i).asLong());
            }
        }
    }

    @Test
    void aPrefixIsTheSameWhateverLengthIsAsked() {
        float[] longer = SeedNoise.gaussian(7, 0, 1001);
        float[] shorter = SeedNoise.gaussian(7, 0, 9);
        for (int i = 0; i < shorter.length; i++) {
            assertThat(shorter[i]).isEqualTo(longer[i]);
        }
    }

    @Test
    void streamsAndSeedsAreDifferent() {
        assertThat(SeedNoise.gaussian(1, 0, 16)).isNotEqualTo(SeedNoise.gaussian(1, 1, 16));
        assertThat(SeedNoise.gaussian(1, 0, 16)).isNotEqualTo(SeedNoise.gaussian(2, 0, 16));
    }

    @Test
    void isStandardNormal() {
        int n = 400_000;
        float[] v = SeedNoise.gaussian(99, 0, n);
        double sum = 0, sq = 0, fourth = 0;
        for (float x : v) {
            sum += x;
            sq += x * x;
            fourth += (double) x * x * x * x;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        // standard errors: mean 1/sqrt(n) = 0.0016, variance sqrt(2/n) = 0.0022, 4th moment sqrt(96/n) = 0.015
        assertThat(mean).isBetween(-0.008, 0.008);
        assertThat(var).isBetween(0.989, 1.011);
        assertThat(fourth / n).isBetween(2.92, 3.08);
        // neighbouring values uncorrelated (Box-Muller pairs included)
        double lag = 0;
        for (int i = 0; i + 1 < n; i++) {
            lag += (double) v[i] * v[i + 1];
        }
        assertThat(lag / n).isBetween(-0.008, 0.008);
    }
}
