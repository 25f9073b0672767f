package io.diffusionbatch.cli;

import io.diffusionbatch.platform.Roles;
import picocli.CommandLine.Command;

import java.io.PrintStream;

/**
 * {@code manager}: cluster mode's manager against external Kafka and PostgreSQL: intake, the
 * dispatcher (several runs at once), partitions sent to {@code worker} processes over Kafka, the
 * re-dispatch of partitions whose worker died, the dashboard and metrics. Not thread-safe.
 */
@Command(name = "manager", sortOptions = false,
        description = {"Run as cluster mode's manager: intake, job launch and partitioning; partitions run on "
                + "'worker' processes (Kafka topic diffusion.cluster.partition-topic). External Kafka and "
                + "PostgreSQL (settings as for serve with them); SIGTERM stops after each run's micro-batches in flight.",
                "Several managers may run: each run belongs to one of them (a lease), and a run whose manager "
                + "died is resumed by another."})
final class ManagerCommand extends PlatformCommand {

    private final PrintStream err;

    ManagerCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() {
        return ServeCommand.runUntilStopped(Roles.MANAGER, springArgs(), err,
                "managing; partitions run on workers; SIGTERM or Ctrl-C stops (runs resume at the next start)");
    }
}
