package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static java.util.Map.entry;

/**
 * The command tree as a user meets it: every command's help, the documented options of each
 * command (written out here, so that an option dropped from a command fails), unknown options,
 * the version and the exit codes.
 */
class CommandLineTest {

    /** Every command and its options, as they were before picocli (plus -h/--help) and as README documents them. */
    private static final Map<String, List<String>> OPTIONS = Map.ofEntries(
            entry("generate", List.of("--model", "--prompt", "--negative", "--seed", "--sampler", "--steps", "--guidance",
                    "--guidance-rescale", "--eta", "--width", "--height", "--frames", "--fps", "--timestep-spacing",
                    "--prediction-type", "--batch", "--count", "--device", "--device-id", "--threads", "--format",
                    "--save-latent", "--out", "--help")),
            entry("bench", List.of("--model", "--prompt", "--sampler", "--steps", "--guidance", "--batch", "--batches",
                    "--items", "--rounds", "--threads", "--device", "--help")),
            entry("evaluate", List.of("--model", "--prompts", "--evaluator", "--sampler", "--steps", "--guidance",
                    "--batch", "--seed", "--limit", "--threads", "--help")),
            entry("demo", List.of("--request", "--data-dir", "--help")),
            entry("serve", List.of("--data-dir", "--help")),
            entry("manager", List.of("--data-dir", "--help")),
            entry("worker", List.of("--data-dir", "--help")),
            entry("cluster-demo", List.of("--workers", "--kill-worker", "--items", "--steps", "--threads", "--partitions",
                    "--rounds", "--serve", "--keep", "--data-dir", "--help")),
            entry("submit", List.of("--wait", "--timeout", "--no-server-check", "--data-dir", "--help")),
            entry("doctor", List.of("--data-dir", "--help")),
            entry("runs", List.of("--limit", "--data-dir", "--help")),
            entry("show", List.of("--data-dir", "--help")),
            entry("cancel", List.of("--data-dir", "--help")),
            entry("retry", List.of("--data-dir", "--help")),
            entry("item", List.of("--data-dir", "--help")),
            entry("reproduce", List.of("--out", "--data-dir", "--help")),
            entry("report", List.of("--format", "--data-dir", "--help")),
            entry("compare", List.of("--data-dir", "--help")),
            entry("dataset", List.of("--help")),
            entry("sweep", List.of("--model", "--prompts", "--limit", "--samplers", "--steps", "--guidance", "--seed",
                    "--id", "--out", "--timeout", "--max-fid", "--min-adherence", "--data-dir", "--help")),
            entry("platform-bench", List.of("--request", "--rounds", "--expand-items", "--skip-expand", "--data-dir",
                    "--help")),
            entry("dashboard-bench", List.of("--fill-items", "--fill-runs", "--url", "--path", "--requests", "--data-dir",
                    "--help")),
            entry("completion", List.of("--help")),
            entry("help", List.of("--help")));

    private static CommandLine model() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        return Main.commandLine(sink, sink);
    }

    static Stream<String> commands() {
        return model().getSubcommands().keySet().stream();
    }

    @Test
    void theCommandsAreTheDocumentedOnesInTheirOrder() {
        assertThat(model().getSubcommands().keySet()).containsExactly("generate", "bench", "evaluate", "demo", "serve",
                "manager", "worker", "cluster-demo", "submit", "doctor", "runs", "show", "cancel", "retry", "item", "reproduce", "report", "compare", "dataset", "sweep",
                "platform-bench", "dashboard-bench", "completion", "help");
    }

    @Test
    void eachCommandHasExactlyItsDocumentedOptions() {
        assertThat(OPTIONS.keySet()).containsExactlyInAnyOrderElementsOf(model().getSubcommands().keySet());
        for (Map.Entry<String, CommandLine> c : model().getSubcommands().entrySet()) {
            assertThat(c.getValue().getCommandSpec().options().stream().map(OptionSpec::longestName))
                    .as(c.getKey()).containsExactlyInAnyOrderElementsOf(OPTIONS.get(c.getKey()));
        }
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandsHelpExitsZeroAndListsEachOfItsOptionsAndParameters(String command) {
        CliRun r = CliRun.of(command, "--help");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("Usage: diffusion-batch " + command);
        CommandSpec spec = model().getSubcommands().get(command).getCommandSpec();
        for (OptionSpec o : spec.options()) {
            for (String name : o.names()) {
                assertThat(r.out()).as(command + " " + name).containsPattern("(?m)^\\s*(-\\w, )?" + name + "\\b");
            }
        }
        for (String name : OPTIONS.get(command)) {
            assertThat(r.out()).as(command + " " + name).contains(name);
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            assertThat(r.out()).as(command + " " + p.paramLabel()).contains(p.paramLabel());
        }
        if (!command.equals("help")) {
            CliRun viaHelp = CliRun.of("help", command);
            assertThat(viaHelp.code()).isZero();
            assertThat(viaHelp.out()).isEqualTo(r.out());
        }
    }

    @Test
    void everyOptionIsDescribedAndShowsItsDefault() {
        for (Map.Entry<String, CommandLine> c : model().getSubcommands().entrySet()) {
            for (OptionSpec o : c.getValue().getCommandSpec().options()) {
                String description = String.join(" ", o.description());
                assertThat(description).as(c.getKey() + " " + o.longestName()).isNotBlank();
                if (o.defaultValue() != null) {
                    assertThat(description).as(c.getKey() + " " + o.longestName())
                            .containsAnyOf("(default: ${DEFAULT-VALUE}", "(default: " + o.defaultValue());
                }
            }
        }
        String generate = CliRun.of("generate", "--help").out().replaceAll("\\s+", " ");
        assertThat(generate).contains("(default: models/shapes-ldm").contains("Number of items, 1..1000000 (default: 1)")
                .contains("One of ddpm, ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, lcm (default: the model's");
    }

    @ParameterizedTest
    @MethodSource("commands")
    @Timeout(60) // a platform command that let the option through would start a server
    void anUnknownOptionIsExitCodeTwoAndNamed(String command) {
        CliRun r = CliRun.of(command, "--nope");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --nope: unknown option");
        assertThat(r.out()).isEmpty();
        CliRun withValue = CliRun.of(command, "--nope=3");
        assertThat(withValue.code()).isEqualTo(2);
        assertThat(withValue.err()).startsWith("error: --nope: unknown option");
    }

    @Test
    void unknownCommandsAndTopLevelOptionsAreExitCodeTwo() {
        CliRun nope = CliRun.of("--nope");
        assertThat(nope.code()).isEqualTo(2);
        assertThat(nope.err()).startsWith("error: --nope: unknown option");
        CliRun command = CliRun.of("generat");
        assertThat(command.code()).isEqualTo(2);
        assertThat(command.err()).startsWith("error: unknown command 'generat'; try 'help'").contains("generate");
        CliRun help = CliRun.of("help", "generat");
        assertThat(help.code()).isEqualTo(2);
        assertThat(help.err()).startsWith("error: unknown command 'generat'");
        assertThat(CliRun.of("help", "generate", "bench").err()).startsWith("error: unexpected argument 'bench'");
    }

    @Test
    void theTopLevelHelpListsTheCommandsAndTheExitCodes() {
        CliRun help = CliRun.of("help");
        assertThat(help.code()).isZero();
        assertThat(CliRun.of("--help").out()).isEqualTo(help.out());
        assertThat(CliRun.of("-h").out()).isEqualTo(help.out());
        CliRun none = CliRun.of();
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.out()).isEqualTo(help.out());
        assertThat(help.out()).startsWith("Usage: diffusion-batch [-hV] [COMMAND]")
                .containsPattern("(?m)^Exit codes:\\n  0 +ok\\n  1 +failure.*\\n(.*\\n)*  2 +bad usage or bad input")
                .contains("--data-dir DIR").contains("--diffusion.job.batch-size=16");
        for (String command : OPTIONS.keySet()) {
            assertThat(help.out()).containsPattern("(?m)^  " + command + " ");
        }
    }

    /** The subcommands of {@code dataset}, and their options as README documents them. */
    private static final Map<String, List<String>> DATASET_OPTIONS = Map.ofEntries(
            entry("run", List.of("--date", "--wait", "--timeout", "--no-server-check", "--data-dir", "--help")),
            entry("list", List.of("--dataset", "--limit", "--data-dir", "--help")),
            entry("show", List.of("--data-dir", "--help")),
            entry("diff", List.of("--data-dir", "--help")),
            entry("export", List.of("--data-dir", "--help")));

    @Test
    void datasetHasItsSubcommandsWithTheirOptionsHelpAndErrors() {
        CommandLine dataset = model().getSubcommands().get("dataset");
        assertThat(dataset.getSubcommands().keySet()).containsExactly("run", "list", "show", "diff", "export");
        for (Map.Entry<String, CommandLine> c : dataset.getSubcommands().entrySet()) {
            assertThat(c.getValue().getCommandSpec().options().stream().map(OptionSpec::longestName))
                    .as(c.getKey()).containsExactlyInAnyOrderElementsOf(DATASET_OPTIONS.get(c.getKey()));
            CliRun help = CliRun.of("dataset", c.getKey(), "--help");
            assertThat(help.code()).isZero();
            assertThat(help.out()).startsWith("Usage: diffusion-batch dataset " + c.getKey());
            CliRun nope = CliRun.of("dataset", c.getKey(), "--nope");
            assertThat(nope.code()).isEqualTo(2);
            assertThat(nope.err()).startsWith("error: --nope: unknown option");
        }
        CliRun bare = CliRun.of("dataset");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.out()).startsWith("Usage: diffusion-batch dataset").contains("list").contains("show")
                .contains("diff");
        assertThat(CliRun.of("dataset", "show").err()).startsWith("error: ID: required");
        assertThat(CliRun.of("dataset", "diff", "1").err()).startsWith("error: B: required");
        assertThat(CliRun.of("dataset", "run").err()).startsWith("error: SPEC: required");
        assertThat(CliRun.of("dataset", "export").err()).startsWith("error: RUN: required");
        CliRun badId = CliRun.of("dataset", "show", "Shapes/2026-1-1");
        assertThat(badId.code()).isEqualTo(2);
        assertThat(badId.err()).startsWith("error: ID: must be a run id (a number), a request id "
                + "(dataset:NAME:YYYY-MM-DD:HASH12) or NAME/YYYY-MM-DD, was 'Shapes/2026-1-1'");
        assertThat(CliRun.of("dataset", "diff", "1", "x").err()).startsWith("error: B: must be a run id");
        assertThat(CliRun.of("dataset", "list", "--limit", "0").err()).startsWith("error: --limit: must be >= 1, was 0");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        String expected = System.getProperty("diffusion.version");
        assertThat(expected).as("surefire passes the project version as diffusion.version").isNotBlank();
        CliRun r = CliRun.of("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out().lines().findFirst()).hasValue("diffusion-batch " + expected);
        assertThat(r.out()).contains("Java " + System.getProperty("java.version"));
        assertThat(CliRun.of("-V").out()).isEqualTo(r.out());
    }

    @Test
    void valuesAreCheckedWithTheRuleAndTheValueNamed() {
        CliRun count = CliRun.of("generate", "--count", "x", "--out", "o");
        assertThat(count.code()).isEqualTo(2);
        assertThat(count.err()).startsWith("error: --count: must be an integer, was 'x'");
        assertThat(CliRun.of("generate", "--guidance", "NaN", "--out", "o").err())
                .startsWith("error: --guidance: must be a finite number, was 'NaN'");
        assertThat(CliRun.of("generate", "--steps", "1", "--steps", "2", "--out", "o").err())
                .startsWith("error: --steps: given more than once");
        assertThat(CliRun.of("bench", "--batch", "0").err()).startsWith("error: --model: required");
        assertThat(CliRun.of("evaluate", "--model", "m").err()).startsWith("error: --prompts: required");
        CliRun show = CliRun.of("show");
        assertThat(show.code()).isEqualTo(2);
        assertThat(show.err()).startsWith("error: RUN: required");
        assertThat(CliRun.of("compare", "1").err()).startsWith("error: RUN2: required");
        assertThat(CliRun.of("show", "1", "2").err()).startsWith("error: unexpected argument '2'");
        assertThat(CliRun.of("generate", "--out").err()).startsWith("error: --out: needs a value");
    }
}
