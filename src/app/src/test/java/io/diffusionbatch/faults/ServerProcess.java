package io.diffusionbatch.faults;

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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One packaged server ({@code target/diffusion-batch.jar serve}, or cluster mode's {@code manager} or
 * {@code worker}) in a process of its own, its output in a log file of its own: what the
 * multi-process ITs start, stop, kill and read. Not thread-safe.
 */
public final class ServerProcess implements AutoCloseable {

    /** The banner line a server prints once it serves ({@code ServeCommand.banner}). */
    static final String STARTED = "started in ";

    private final String name;
    private final Path log;
    private final Process process;

    private ServerProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code java [jvmOptions] -jar target/diffusion-batch.jar serve [args]} (the jar of the
     * repository root, the tests' working directory).
     *
     * @param name    the replica's name in messages
     * @param workDir the working directory of the process; null = this one's
     * @param env     added to this process's environment
     * @param log     where its stdout and stderr go (appended)
     */
    public static ServerProcess serve(String name, List<String> jvmOptions, List<String> args, Map<String, String> env,
                                      Path workDir, Path log) throws IOException {
        return start("serve", name, jvmOptions, args, env, workDir, log);
    }

    /**
     * Starts {@code java [jvmOptions] -jar target/diffusion-batch.jar COMMAND [args]}, where
     * {@code command} is one that runs until stopped and prints the start banner ({@code serve},
     * {@code manager}, {@code worker}); the other parameters as {@link #serve}.
     */
    public static ServerProcess start(String command, String name, List<String> jvmOptions, List<String> args,
                                      Map<String, String> env, Path workDir, Path log) throws IOException {
        List<String> commandLine = new ArrayList<>(List.of(command));
        commandLine.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(ExternalJar.java(jvmOptions, commandLine));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().putAll(env);
        Files.createDirectories(log.toAbsolutePath().getParent());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new ServerProcess(name, log, pb.start());
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /**
     * Waits until the server prints its start banner.
     *
     * @throws AssertionError when it exits first or does not start within {@code timeout} (with its log's tail)
     */
    public ServerProcess awaitStarted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!logSince(log, 0).contains(STARTED)) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before it started:\n" + tail(80));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not start within " + timeout + ":\n" + tail(80));
            }
            Thread.sleep(200);
        }
        return this;
    }

    /** Waits at most {@code timeout} for the process to end; its exit code, or null when it still runs. */
    public Integer awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** SIGKILL ({@code kill -9}), and waits for the end: no shutdown hook runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGTERM (a clean stop), and returns at once: {@link #awaitExit} waits for the end. */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM (a clean stop: the running job stops after its micro-batch), SIGKILL after 60 s. */
    @Override
    public void close() throws InterruptedException {
        stop(process, Duration.ofSeconds(60));
    }

    /** The last {@code lines} lines of the log, headed by the replica's name. */
    public String tail(int lines) {
        return "---- " + name + " (pid " + pid() + ", " + (isAlive() ? "alive" : "exited " + process.exitValue())
                + "), " + log + ":\n" + tail(log, lines);
    }

    /** SIGTERM, then SIGKILL when the process has not ended within {@code grace}; waits for its end. Null-safe. */
    static void stop(Process p, Duration grace) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    /** The last {@code lines} lines of a log file ("" when there is none). */
    static String tail(Path log, int lines) {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            List<String> all = List.of(logSince(log, Math.max(0, Files.size(log) - 200_000)).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of a log file from byte {@code offset} on ("" when there is none). */
    static String logSince(Path log, long offset) {
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.max(0, ch.size() - offset));
            ch.position(offset);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // reads to the end as it was when opened
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
