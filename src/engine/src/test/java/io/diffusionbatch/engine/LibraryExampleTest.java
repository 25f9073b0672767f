package io.diffusionbatch.engine;

import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.media.OutputFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "engine as a library" example, as written there, on the bundled model. */
class LibraryExampleTest {

    @Test
    void theReadmeExampleRuns(@TempDir Path out) throws Exception {
        try (Engine engine = Engine.open(Path.of("models/shapes-ldm"), EngineOptions.cpu())) {
            SamplingParams p = engine.defaultParams().withSteps(20);
            List<ParamViolation> bad = engine.violations(p);          // setting, rule, message; empty = runnable
            List<GeneratedItem> items = engine.generate(List.of(
                    new GenerationSpec("a small red circle at the top left on a white background", "", 42, p)));
            ItemWriter.write(items.get(0), engine.identity(), out.resolve("42.png"), OutputFormat.PNG, 8, false);

            assertThat(bad).isEmpty();
            assertThat(engine.violations(p.withSteps(0))).extracting(ParamViolation::param)
                    .containsExactly(ParamViolation.Param.STEPS);
        }
        byte[] png = Files.readAllBytes(out.resolve("42.png"));
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(Files.readString(Path.of("README.md"))).as("the README shows this very code")
                .contains("engine.generate(List.of(\n            new GenerationSpec(\"a small red circle at the top left on a white background\", \"\", 42, p)));");
    }
}
