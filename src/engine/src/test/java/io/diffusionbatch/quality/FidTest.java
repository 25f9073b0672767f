package io.diffusionbatch.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.diffusionbatch.media.NpyArray;
import io.diffusionbatch.media.NpyReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** FID in Java against scipy.linalg.sqrtm on the same features (tools/fid_reference.py). */
class FidTest {

    private static final Path DIR = Path.of("src/engine/src/test/resources/fixtures/fid");

    private static FeatureStats stats(String name) throws Exception {
        NpyArray a = NpyReader.read(DIR.resolve(name + ".npy"));
        int n = a.shape()[0], d = a.shape()[1];
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(java.util.Arrays.copyOfRange(a.data(), i * d, (i + 1) * d));
        }
        return FeatureStats.of(rows);
    }

    @Test
    void agreesWithScipyToOnePartInAMillion() throws Exception {
        JsonNode expected = JsonMapper.builder().build().readTree(DIR.resolve("expected.json").toFile());
        FeatureStats a = stats("a"), b = stats("b"), c = stats("c");
        for (String[] pair : new String[][] {{"a_b"}, {"a_c"}, {"b_c"}}) {
            double want = expected.get(pair[0]).asDouble();
            FeatureStats x = pair[0].charAt(0) == 'a' ? a : b;
            FeatureStats y = pair[0].charAt(2) == 'b' ? b : c;
            double got = Fid.distance(x, y);
            assertThat(Math.abs(got - want) / want).as(pair[0] + ": java " + got + " scipy " + want).isLessThan(1e-6);
        }
        assertThat(Fid.distance(a, a)).isCloseTo(0, within(1e-8));
        assertThat(Fid.distance(a, b)).isCloseTo(Fid.distance(b, a), within(1e-7)); // different rounding paths
    }

    @Test
    void closedFormForDiagonalGaussians() {
        // N(0, diag(1, 4)) vs N((3, 0), diag(4, 1)): |mu|^2 = 9, tr = 5 + 5 - 2 (sqrt(4) + sqrt(4)) = 2
        FeatureStats p = new FeatureStats(new double[] {0, 0}, new double[][] {{1, 0}, {0, 4}}, -1);
        FeatureStats q = new FeatureStats(new double[] {3, 0}, new double[][] {{4, 0}, {0, 1}}, -1);
        assertThat(Fid.distance(p, q)).isCloseTo(11.0, within(1e-12));
    }

    @Test
    void theBundledReferenceStatisticsLoad() {
        FeatureStats ref = FeatureStats.read(Path.of("models/shapes-eval/features_mean.npy"),
                Path.of("models/shapes-eval/features_cov.npy"));
        assertThat(ref.mean()).hasSize(128);
        assertThat(ref.cov()[3][7]).isEqualTo(ref.cov()[7][3]);
        assertThat(Fid.distance(ref, ref)).isCloseTo(0, within(1e-6));
    }
}
