package io.diffusionbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The evaluate command's path on a tiny model (whose images are noise-like: only the plumbing is checked). */
class EvaluateCommandTest {

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void generatesJudgesAndTallies() {
        String[] r = run("evaluate", "--model", "src/test/resources/models/tiny-sd", "--prompts",
                "config/prompts/shapes-single.jsonl", "--limit", "6", "--steps", "2", "--batch", "3");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("6 prompts (0 skipped)").contains("| single (n=6) |").contains(" shape ")
                .contains(" all ").contains("FID (single-object prompts, n=6)");
    }

    @Test
    void promptsOfAnotherKindAreSkippedAndAnEmptySetIsRefused() {
        String[] r = run("evaluate", "--model", "src/test/resources/models/tiny-sd", "--prompts",
                "config/prompts/shapes-video.jsonl", "--limit", "2", "--steps", "2");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("--prompts: none of the prompts is of a kind model tiny-sd makes");
    }
}
