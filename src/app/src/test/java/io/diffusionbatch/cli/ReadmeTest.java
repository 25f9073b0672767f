package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** README.md, the user's manual, names every command and every option that the command line has. */
class ReadmeTest {

    @Test
    void theReadmeNamesEveryCommandAndEveryOption() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        for (Map.Entry<String, CommandLine> c : Main.commandLine(sink, sink).getSubcommands().entrySet()) {
            assertThat(readme).as(c.getKey()).containsPattern("(diffusion-batch\\.jar |\\| |`)" + Pattern.quote(c.getKey()) + "\\b");
            for (OptionSpec o : c.getValue().getCommandSpec().options()) {
                assertThat(readme).as(c.getKey() + " " + o.longestName())
                        .containsPattern(Pattern.quote(o.longestName()) + "(?![\\w-])");
            }
        }
        assertThat(readme).contains("--version").contains("`2` bad usage or bad input");
    }
}
