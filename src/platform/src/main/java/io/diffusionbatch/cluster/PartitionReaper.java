package io.diffusionbatch.cluster;

import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.GenerationJobConfig;
import io.diffusionbatch.job.RunEvents;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.startup.StartupChecks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.DependsOn;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.Map;

/**
 * The manager's watch over its workers: every {@code diffusion.cluster.poll-interval} it takes each
 * partition whose lease ran out (its worker died, hung, or lost the database for longer than the
 * lease) from that worker and queues it again, with a {@code redispatched} event in the same
 * transaction, then sends its request again; a partition lost {@code max-attempts} times fails its
 * step, and so its run. Spring Batch's own default (wait forever for a STARTED partition) would
 * leave the run hanging. Several managers may run it at once: each re-queue is one conditional
 * transaction. Thread-safe.
 */
@Component
@ConditionalOnRole(Roles.MANAGER)
@DependsOn(StartupChecks.BEAN)
public class PartitionReaper implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionReaper.class);

    private final PartitionStore partitions;
    private final RunEvents events;
    private final KafkaPartitionSender sender;
    private final TransactionTemplate tx;
    private final DiffusionProperties props;
    private volatile boolean running;
    private Thread thread;

    public PartitionReaper(PartitionStore partitions, RunEvents events, KafkaPartitionSender sender,
                           PlatformTransactionManager tm, DiffusionProperties props) {
        this.partitions = partitions;
        this.events = events;
        this.sender = sender;
        this.tx = new TransactionTemplate(tm);
        this.props = props;
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::loop, "partition-reaper");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        thread.interrupt();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void loop() {
        while (running) {
            try {
                reap();
            } catch (RuntimeException e) {
                LOG.debug("expired partition leases not checked: {}", e.getMessage()); // the database watch logs it
            }
            try {
                Thread.sleep(props.cluster().pollInterval().toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One pass: every partition whose lease ran out. @return how many were re-queued */
    int reap() {
        int requeued = 0;
        int max = props.cluster().maxAttempts();
        for (long id : partitions.expired()) {
            PartitionStore.LostPartition p = tx.execute(s -> {
                PartitionStore.LostPartition lost = partitions.requeueLost(id, max,
                        "partition lost by " + max + " workers (each one's lease of "
                                + props.job().lease().toSeconds() + " s ran out)");
                if (lost.outcome() == PartitionStore.Lost.REQUEUED) {
                    events.publish(lost.requestId(), EventType.REDISPATCHED, Map.of("partition", lost.name(),
                            "stepExecutionId", id, "lostBy", lost.worker(), "losses", lost.lost()));
                }
                return lost;
            });
            if (p == null || p.outcome() == PartitionStore.Lost.NONE) {
                continue;
            }
            if (p.outcome() == PartitionStore.Lost.FAILED) {
                LOG.warn("{} of run {}: lost by {} workers, the last {}; the run fails", p.name(), p.requestId(),
                        p.lost(), p.worker());
                continue;
            }
            LOG.info("{} of run {}: worker {} lost it (its lease ran out); queued again (loss {} of {})", p.name(),
                    p.requestId(), p.worker(), p.lost(), max);
            sender.send(new StepExecutionRequest(GenerationJobConfig.PARTITION_STEP, id));
            requeued++;
        }
        return requeued;
    }
}
