package io.diffusionbatch.cli;

import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.Dashboard;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine.Command;

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
        String[] spring = springArgs();
        long t0 = System.nanoTime();
        ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server", spring);
        CountDownLatch closed = new CountDownLatch(1);
        ctx.addApplicationListener(e -> {
            if (e instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        banner(ctx, t0, err);
        err.println("serving; Ctrl-C stops (a running job stops after its micro-batch and resumes on the next start)");
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
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
