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
        names(readme, "", Main.commandLine(sink, sink));
        assertThat(readme).contains("--version").contains("`2` bad usage or bad input");
    }

    /** Every subcommand of {@code parent} is named after its parent's name ({@code dataset list}), with its options. */
    private static void names(String readme, String prefix, CommandLine parent) {
        for (Map.Entry<String, CommandLine> c : parent.getSubcommands().entrySet()) {
            String name = prefix + c.getKey();
            assertThat(readme).as(name).containsPattern("(diffusion-batch\\.jar |\\| |`)" + Pattern.quote(name) + "\\b");
            for (OptionSpec o : c.getValue().getCommandSpec().options()) {
                assertThat(readme).as(name + " " + o.longestName())
                        .containsPattern(Pattern.quote(o.longestName()) + "(?![\\w-])");
            }
            names(readme, name + " ", c.getValue());
        }
    }
}
