package io.diffusionbatch.cli;

import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.web.Dashboard;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine.Command;
import sun.misc.Signal;

/**
 * {@code serve}: starts local Postgres and Kafka (or connects to external ones), intake,
 * dispatcher and workers, and runs until stopped (Ctrl-C stops the running job cleanly; the next
 * start resumes it). One instance per command line; not thread-safe.
 */
@Command(name = "serve", sortOptions = false,
        description = {"Start Kafka, Postgres, intake, workers and the dashboard; run until Ctrl-C.",
                "The dashboard is on http://127.0.0.1:8470/ (--diffusion.web.port=N picks another port, 0 any "
                + "free one, -1 none). Ctrl-C stops a running job after its micro-batch; the next start resumes it."})
final class ServeCommand extends PlatformCommand {

    private final PrintStream err;

    ServeCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() {
        return runUntilStopped(Roles.SERVER, springArgs(), err,
                "serving; Ctrl-C stops (a running job stops after its micro-batch and resumes on the next start)");
    }

    /**
     * Starts the application in {@code role} and runs it until a stop signal or the context's close:
     * the process's exit status (0, or 128 + the signal's number).
     */
    static int runUntilStopped(String role, String[] spring, PrintStream err, String running) {
        long t0 = System.nanoTime();
        ConfigurableApplicationContext ctx = DiffusionBatchApplication.start(role, spring);
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger signal = new AtomicInteger();
        ctx.addApplicationListener(e -> {
            if (e instanceof ContextClosedEvent) {
                stop.countDown();
            }
        });
        handleStopSignals(stop, signal);
        banner(ctx, t0, err);
        err.println(running);
        try {
            stop.await();
            // the whole graceful stop (the running job's micro-batch, then the engines' sessions) before
            // the JVM exits: ONNX Runtime releases its environment in a JVM shutdown hook, which runs
            // concurrently with Spring's; a micro-batch still running then crashed the JVM (SIGSEGV)
            ctx.close();
            while (ctx.isActive()) { // closed by another thread: wait for its end
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return signal.get() > 0 ? 128 + signal.get() : 0; // as the JVM exits on these signals
    }

    /**
     * SIGTERM, SIGINT (Ctrl-C) and SIGHUP release {@code stop} instead of starting the JVM's exit at
     * once; a second one while the graceful stop runs ends the process at once (128 + its number);
     * where a signal cannot be handled (e.g. {@code -Xrs}) the JVM's own handling stays, and
     * the engine refuses to run once the JVM exits rather than crash.
     */
    static void handleStopSignals(CountDownLatch stop, AtomicInteger signal) {
        for (String name : List.of("TERM", "INT", "HUP")) {
            try {
                Signal.handle(new Signal(name), s -> {
                    if (!signal.compareAndSet(0, s.getNumber())) {
                        // a second signal while the graceful stop runs: the user insists, stop now
                        Runtime.getRuntime().halt(128 + s.getNumber());
                    }
                    stop.countDown();
                });
            } catch (IllegalArgumentException e) {
                // not available here, or reserved by the JVM: its default handling (exit) stays
            }
        }
    }

    /** Prints how long the start took, where Kafka, Postgres and the outputs are, and the dashboard's URL. */
    static void banner(ConfigurableApplicationContext ctx, long t0, PrintStream err) {
        DiffusionProperties p = ctx.getBean(DiffusionProperties.class);
        String which = ctx.getEnvironment().containsProperty("diffusion.local.data-dir-resolved") ? "embedded"
                : "external";
        err.printf("started in %.1f s: Kafka %s (%s), Postgres %s (%s), outputs under %s%n",
                (System.nanoTime() - t0) / 1e9, p.kafka().bootstrapServers(), which,
                ctx.getEnvironment().getProperty("spring.datasource.url"), which,
                ctx.getBean(OutputRoot.class));
        ctx.getBeanProvider(Dashboard.class).ifAvailable(d -> d.url().ifPresent(u -> err.println("dashboard " + u)));
    }
}
