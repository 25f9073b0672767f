package io.diffusionbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void printsTheThreeTables() {
        String[] r = run("bench", "--model", "src/test/resources/models/tiny-sd", "--steps", "2", "--rounds", "1",
                "--items", "2", "--batch", "2", "--batches", "1,2");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("| engine / bare (median of 1) |")
                .contains("| dpmpp-2m | 2 | 4 |").contains("| lcm | 2 | 4 |")
                .contains("| batch | images/s | vs batch 1 |").contains("| 2 | ");
    }

    @Test
    void badOptionsAreUsageErrors() {
        String[] zero = run("bench", "--model", "src/test/resources/models/tiny-sd", "--batches", "1,0");
        assertThat(zero[0]).isEqualTo("2");
        assertThat(zero[2]).contains("--batches: each batch size must be between 1 and 64, was 0");
        String[] missing = run("bench", "--model", "nowhere");
        assertThat(missing[0]).isEqualTo("2");
        assertThat(missing[2]).contains("model: folder nowhere does not exist");
    }
}
