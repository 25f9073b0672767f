package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.DatabaseProbe;
import io.diffusionbatch.ledger.ServerRow;
import io.diffusionbatch.ledger.ServerStore;
import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DependencyFailure.Service;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.intake.KafkaProbe;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * The options of the commands that send a request to a running server ({@code submit}, {@code dataset run}), as a
 * picocli mixin, and the check they make before sending. Not thread-safe (picocli fills it once).
 */
final class SendOptions {

    @Option(names = "--wait", arity = "0", description = "Follow the run to its end (a dataset night: and its export).")
    boolean wait;

    @Option(names = "--timeout", paramLabel = "S",
            description = "Give up after S seconds (default: 60; with --wait, 86400).")
    private Integer timeout;

    @Option(names = "--no-server-check", arity = "0", description = "Send even when no live server uses the "
            + "ledger (no heartbeat within the lease, diffusion.job.lease): the request waits in Kafka for one.")
    private boolean noServerCheck;

    /** How long to wait for the outcome. */
    Duration timeout() {
        return Duration.ofSeconds(timeout != null ? timeout : wait ? 24 * 3600 : 60);
    }

    /**
     * Before a request is sent: Kafka answers, and (unless {@code --no-server-check}) a live server reads requests.
     *
     * @throws DependencyFailure when either does not hold
     */
    void checkReader(ConfigurableApplicationContext ctx, DiffusionProperties props) {
        KafkaProbe.check(props.kafka());
        if (!noServerCheck && ctx.getBean(ServerStore.class).live(props.job().lease()).stream()
                .noneMatch(ServerRow::readsRequests)) {
            throw new DependencyFailure(Service.SERVER, "no live server uses the ledger at "
                    + DatabaseProbe.address(ctx.getEnvironment().getProperty("spring.datasource.url", "?"))
                    + " (none wrote a heartbeat in the last " + props.job().lease().toSeconds() + " s), so nobody "
                    + "would read the request: start one with 'serve', or pass --no-server-check to queue it", null);
        }
    }
}
