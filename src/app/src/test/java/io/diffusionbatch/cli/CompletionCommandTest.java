package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code completion}: a bash script that bash accepts and that completes commands, options and values. */
class CompletionCommandTest {

    @TempDir
    Path dir;

    private Path script() throws IOException {
        CliRun r = CliRun.of("completion");
        assertThat(r.code()).as(r.err()).isZero();
        Path file = dir.resolve("diffusion-batch.bash");
        Files.writeString(file, r.out());
        return file;
    }

    /** Runs bash; returns its exit code and stdout. */
    private static String[] bash(String... args) throws Exception {
        Process p = new ProcessBuilder(List.of(args)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String[]{Integer.toString(p.exitValue()), out};
    }

    /** What bash offers after {@code line} (which ends where the cursor is). */
    private List<String> complete(Path script, String line) throws Exception {
        String words = line.endsWith(" ") ? line + "''" : line;
        String[] r = bash("bash", "-c", "source '" + script + "'; COMP_WORDS=(" + words + "); "
                + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; "
                + "_complete_diffusion-batch; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertThat(r[0]).isEqualTo("0");
        return Arrays.stream(r[1].split("\n")).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void theScriptIsValidBashAndNamesEveryCommand() throws Exception {
        Path script = script();
        assertThat(bash("bash", "-n", script.toString())[0]).isEqualTo("0");
        String text = Files.readString(script);
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        List<String> commands = List.copyOf(Main.commandLine(sink, sink).getSubcommands().keySet());
        assertThat(commands).hasSize(24);
        for (String c : commands) {
            assertThat(text).contains(" " + c);
        }
        assertThat(text).contains("complete -F _complete_diffusion-batch");
        assertThat(complete(script, "diffusion-batch ")).containsExactlyInAnyOrderElementsOf(commands);
    }

    @Test
    void itCompletesOptionsAndTheirValues() throws Exception {
        Path script = script();
        assertThat(complete(script, "diffusion-batch gen")).containsExactly("generate");
        assertThat(complete(script, "diffusion-batch generate --sa")).containsExactlyInAnyOrder("--sampler", "--save-latent");
        assertThat(complete(script, "diffusion-batch generate --sampler ")).containsExactly("ddpm", "ddim", "euler",
                "euler-a", "dpmpp-2m", "dpmpp-2m-karras", "lcm");
        assertThat(complete(script, "diffusion-batch generate --device ")).containsExactly("cpu", "cuda");
        assertThat(complete(script, "diffusion-batch generate --format ")).containsExactly("png", "npy", "gif", "mp4");
        assertThat(complete(script, "diffusion-batch report --format ")).containsExactly("md", "csv", "json");
        assertThat(complete(script, "diffusion-batch submit --")).contains("--wait", "--timeout", "--data-dir");
        assertThat(complete(script, "diffusion-batch dataset ")).contains("list", "show", "diff");
        assertThat(complete(script, "diffusion-batch dataset list --")).contains("--dataset", "--limit");
    }
}
