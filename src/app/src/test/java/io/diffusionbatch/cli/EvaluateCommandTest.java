package io.diffusionbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The evaluate command's path on a tiny model (whose images are noise-like: only the plumbing is checked). */
class EvaluateCommandTest {

    @Test
    void generatesJudgesAndTallies() {
        CliRun r = CliRun.of("evaluate", "--model", "src/engine/src/test/resources/models/tiny-sd", "--prompts",
                "config/prompts/shapes-single.jsonl", "--limit", "6", "--steps", "2", "--batch", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("6 prompts (0 skipped)").contains("| single (n=6) |").contains(" shape ")
                .contains(" all ").contains("FID (single-object prompts, n=6)");
    }

    @Test
    void promptsOfAnotherKindAreSkippedAndAnEmptySetIsRefused() {
        CliRun r = CliRun.of("evaluate", "--model", "src/engine/src/test/resources/models/tiny-sd", "--prompts",
                "config/prompts/shapes-video.jsonl", "--limit", "2", "--steps", "2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--prompts: none of the prompts is of a kind model tiny-sd makes");
    }
}
