package io.diffusionbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void printsTheThreeTables() {
        CliRun r = CliRun.of("bench", "--model", "src/engine/src/test/resources/models/tiny-sd", "--steps", "2", "--rounds", "1",
                "--items", "2", "--batch", "2", "--batches", "1,2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("| engine / bare (median of 1) |")
                .contains("| dpmpp-2m | 2 | 4 |").contains("| lcm | 2 | 4 |")
                .contains("| batch | images/s | vs batch 1 |").contains("| 2 | ");
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliRun zero = CliRun.of("bench", "--model", "src/engine/src/test/resources/models/tiny-sd", "--batches", "1,0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--batches: each batch size must be between 1 and 64, was 0");
        CliRun missing = CliRun.of("bench", "--model", "nowhere");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("model: folder nowhere does not exist");
    }
}
