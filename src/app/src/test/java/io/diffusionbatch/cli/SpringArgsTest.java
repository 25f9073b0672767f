package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Spring arguments of the platform commands ({@link PlatformCommand}): {@code --data-dir} and
 * the settings with a Spring prefix go to the Spring context, the rest to the command's options.
 */
class SpringArgsTest {

    private static ParseResult parse(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        return Main.commandLine(sink, sink).parseArgs(args).subcommand();
    }

    private static String[] springArgs(ParseResult r) {
        return ((PlatformCommand) r.commandSpec().userObject()).springArgs();
    }

    @Test
    void springSettingsAndDataDirAreSeparatedFromTheCommandsOwnOptions() {
        ParseResult r = parse("submit", "req.json", "--wait", "--data-dir", "/d", "--diffusion.job.batch-size=4",
                "--spring.profiles.active=external", "--timeout", "5");
        assertThat(r.matchedPositionalValue(0, (Object) null)).hasToString("req.json");
        assertThat(r.hasMatchedOption("--wait")).isTrue();
        assertThat(r.matchedOptionValue("--timeout", 0)).isEqualTo(5);
        assertThat(springArgs(r)).containsExactly("--diffusion.data-dir=/d", "--diffusion.job.batch-size=4",
                "--spring.profiles.active=external");
        assertThat(springArgs(parse("runs", "--data-dir=x"))).containsExactly("--diffusion.data-dir=x");
        CliRun missing = CliRun.of("runs", "--data-dir");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--data-dir: needs a value");
    }

    @Test
    void everySpringPrefixPassesAndNothingElseDoes() {
        assertThat(springArgs(parse("runs", "--server.port=1", "--management.endpoints.web.exposure.include=health",
                "--logging.level.root=INFO", "--limit", "3")))
                .containsExactly("--server.port=1", "--management.endpoints.web.exposure.include=health",
                        "--logging.level.root=INFO");
        ParseResult r = parse("runs", "--diffusion.x=1", "--springy=2");
        assertThatThrownBy(() -> springArgs(r)).isInstanceOfSatisfying(ParameterException.class,
                e -> assertThat(ErrorReporter.message(e)).isEqualTo("--springy: unknown option"));
        ParseResult positional = parse("runs", "stray");
        assertThatThrownBy(() -> springArgs(positional)).isInstanceOfSatisfying(ParameterException.class,
                e -> assertThat(ErrorReporter.message(e)).isEqualTo("unexpected argument 'stray'"));
    }
}
