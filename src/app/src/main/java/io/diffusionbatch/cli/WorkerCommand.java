package io.diffusionbatch.cli;

import io.diffusionbatch.platform.Roles;
import picocli.CommandLine.Command;

import java.io.PrintStream;

/**
 * {@code worker}: cluster mode's worker against external Kafka and PostgreSQL: runs the partitions
 * managers send, {@code diffusion.cluster.slots} at a time, highest priority first. Not thread-safe.
 */
@Command(name = "worker", sortOptions = false,
        description = {"Run as cluster mode's worker: take partitions of the managers' runs (highest priority "
                + "first) and make their items. External Kafka and PostgreSQL; the shared output root.",
                "SIGTERM or Ctrl-C: the micro-batch in flight finishes, the partition goes back to the queue for "
                + "another worker, and the process exits."})
final class WorkerCommand extends PlatformCommand {

    private final PrintStream err;

    WorkerCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() {
        return ServeCommand.runUntilStopped(Roles.WORKER, springArgs(), err,
                "working; SIGTERM or Ctrl-C gives the partitions back after their micro-batch and exits");
    }
}
