package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLocationTest {

    @TempDir
    Path dir;

    private Violation refused(Path root, String location) throws Exception {
        try {
            Path p = OutputLocation.resolve(root, location);
            throw new AssertionError("accepted " + location + " as " + p);
        } catch (InvalidRequestException e) {
            assertThat(e.violations()).hasSize(1);
            return e.violations().get(0);
        }
    }

    @Test
    void resolvesUnderTheRealRoot() throws Exception {
        Path root = Files.createDirectories(dir.resolve("out"));
        Files.createDirectories(root.resolve("runs"));
        assertThat(OutputLocation.resolve(root, "runs/a/b")).isEqualTo(root.toRealPath().resolve("runs/a/b"));
        assertThat(OutputLocation.resolve(root, "new")).isEqualTo(root.toRealPath().resolve("new"));
        assertThat(OutputLocation.resolve(root, "..a/b..c/...")).isEqualTo(root.toRealPath().resolve("..a/b..c/..."));
    }

    @Test
    void refusesTextThatEscapes() throws Exception {
        Path root = Files.createDirectories(dir.resolve("out"));
        for (String s : List.of("../x", "a/../../x", "a/..", "..", "/etc", "/", "C:/x", "\\\\server\\share")) {
            assertThat(refused(root, s)).extracting(Violation::field, Violation::rule)
                    .containsExactly("output.location", "escapes-output-root");
        }
        for (String s : List.of("a//b", "a/", "./a", "a/.", "a\\b", "ab:c", "a\nb", "a\tb")) {
            assertThat(refused(root, s)).extracting(Violation::rule).isEqualTo("invalid-path");
        }
        assertThat(refused(root, "a\u0000b").rule()).isEqualTo("nul");
        assertThat(refused(root, "").rule()).isEqualTo("required");
        assertThat(refused(root, "x".repeat(1025)).rule()).isEqualTo("too-long");
    }

    @Test
    void refusesASymlinkAnywhereOnTheWay() throws Exception {
        Path root = Files.createDirectories(dir.resolve("out"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createDirectories(root.resolve("runs"));
        Files.createSymbolicLink(root.resolve("runs/escape"), outside);
        Files.createSymbolicLink(root.resolve("inside-link"), root.resolve("runs"));
        Files.createSymbolicLink(root.resolve("dangling"), dir.resolve("nowhere"));
        Violation v = refused(root, "runs/escape/x");
        assertThat(v).extracting(Violation::field, Violation::rule)
                .containsExactly("output.location", "escapes-output-root");
        assertThat(v.message()).contains("runs/escape").contains("symbolic link");
        // links are refused even when they point inside the root, and when they dangle
        assertThat(refused(root, "inside-link/x").rule()).isEqualTo("escapes-output-root");
        assertThat(refused(root, "dangling").rule()).isEqualTo("escapes-output-root");
        assertThat(refused(root, "runs/escape").rule()).isEqualTo("escapes-output-root");
    }

    @Test
    void theRootItselfMayBeALink() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real-root"));
        Path link = Files.createSymbolicLink(dir.resolve("root-link"), real);
        assertThat(OutputLocation.resolve(link, "a/b")).isEqualTo(real.toRealPath().resolve("a/b"));
    }

    @Test
    void syntaxCheckAloneNeedsNoFileSystem() {
        assertThat(OutputLocation.checkSyntax("output.location", "runs/2026/a b")).isEmpty();
        assertThat(OutputLocation.checkSyntax("prompts.file", "../x")).get()
                .extracting(Violation::field, Violation::rule).containsExactly("prompts.file", "escapes-output-root");
        assertThat(List.of(OutputLocation.checkSyntax("f", "a/./b").orElseThrow()))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("f", "invalid-path"));
    }
}
