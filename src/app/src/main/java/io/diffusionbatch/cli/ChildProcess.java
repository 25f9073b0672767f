package io.diffusionbatch.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of this distribution started as a child process, its stdout and stderr in a log file of its
 * own: what {@code cluster-demo} starts, watches, stops (SIGTERM) and kills (SIGKILL). The same jar,
 * or class path, and the same java as this process. Not thread-safe, except {@link #stop} and
 * {@link #kill}, which may be called from a shutdown hook.
 */
final class ChildProcess {

    private final String name;
    private final Path log;
    private final Process process;

    private ChildProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code java JVM_OPTIONS MAIN_CLASS ARGS} on this process's class path: {@code -jar} the
     * distribution's jar for the command line's own main class, Spring Boot's {@code PropertiesLauncher}
     * with {@code loader.main} for another class of the jar; the class path itself where this process
     * runs from one (tests, an IDE).
     */
    static ChildProcess start(String name, List<String> jvmOptions, String mainClass, List<String> args, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        Optional<Path> jar = bootJar();
        if (jar.isPresent() && mainClass.equals(Main.class.getName())) {
            cmd.addAll(List.of("-jar", jar.get().toString()));
        } else if (jar.isPresent()) {
            cmd.addAll(List.of("-cp", jar.get().toString(), "-Dloader.main=" + mainClass,
                    "org.springframework.boot.loader.launch.PropertiesLauncher"));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        }
        cmd.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new ChildProcess(name, log, pb.start());
    }

    /** The jar this process runs from when it was started as {@code java -jar} a Spring Boot jar. */
    static Optional<Path> bootJar() {
        String cp = System.getProperty("java.class.path", "");
        boolean launched = Main.class.getClassLoader() != ClassLoader.getSystemClassLoader();
        if (launched && cp.endsWith(".jar") && !cp.contains(File.pathSeparator)) {
            return Optional.of(Path.of(cp).toAbsolutePath().normalize());
        }
        return Optional.empty();
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /**
     * Waits until the log holds a line starting with {@code marker}; the rest of that line.
     *
     * @throws IllegalStateException when the process exits first or the line does not come within
     *                               {@code timeout} (with the tail of its log)
     */
    String awaitLine(String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : text().split("\n")) {
                int at = line.indexOf(marker);
                if (at >= 0) {
                    return line.substring(at + marker.length()).strip();
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready; "
                        + "the end of " + log + ":\n" + tail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s; the end of "
                        + log + ":\n" + tail(30));
            }
            Thread.sleep(200);
        }
    }

    /** SIGTERM (a clean stop), then SIGKILL when it has not ended within {@code grace}; waits for its end. */
    void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL ({@code kill -9}): no shutdown hook runs; waits for its end. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** The exit code, or null while it runs. */
    Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** The last {@code lines} lines of its log. */
    String tail(int lines) {
        List<String> all = List.of(text().split("\n"));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private String text() {
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            long from = Math.max(0, ch.size() - 2_000_000);
            ByteBuffer buf = ByteBuffer.allocate((int) (ch.size() - from));
            ch.position(from);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // to the end as it was when opened
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
