package io.diffusionbatch.dataset;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code python3}, the independent reader of what this package writes (CI has Debian's python3). */
final class Python {

    /** What a run gave: its exit status, stdout and stderr. */
    record Result(int exit, String out, String err) {
    }

    private Python() {
    }

    /** Whether {@code python3} runs here. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().transferTo(OutputStream.nullOutputStream());
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** {@code python3 -c SCRIPT ARGS...}. */
    static Result script(String script, String... args) {
        List<String> command = new ArrayList<>(List.of("python3", "-c", script));
        command.addAll(List.of(args));
        return run(command);
    }

    /** {@code python3 tools/NAME ARGS...}, with the repository's {@code tools/} found from the working directory. */
    static Result tool(String name, String... args) {
        List<String> command = new ArrayList<>(List.of("python3", tools().resolve(name).toString()));
        command.addAll(List.of(args));
        return run(command);
    }

    /** The repository's {@code tools/}: the first folder up from the working directory with tools/read_dataset.py. */
    private static Path tools() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("tools/read_dataset.py"))) {
                return dir.resolve("tools");
            }
        }
        throw new AssertionError("no tools/read_dataset.py in " + Path.of("").toAbsolutePath() + " or above");
    }

    private static Result run(List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run python3 (" + e.getMessage() + ")", e);
        }
        try {
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
