package io.diffusionbatch.cluster;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.GenerationJobConfig;
import io.diffusionbatch.job.PartitionGuard;
import io.diffusionbatch.job.RunContexts;
import io.diffusionbatch.job.ServerInstance;
import io.diffusionbatch.job.ServerRegistration;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.startup.StartupChecks;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.batch.integration.partition.StepExecutionRequestHandler;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.DependsOn;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The worker role: runs the partitions managers dispatch, {@code diffusion.cluster.slots} at a time,
 * each through Spring Batch's {@link StepExecutionRequestHandler} on a thread of its own (never on
 * the Kafka consumer's thread, which keeps polling, paused, while every slot is busy, so a partition of
 * any length never exceeds {@code max.poll.interval.ms} and is never redelivered for it).
 * <ol>
 *   <li>A request from the partition topic (consumer group {@value #GROUP}, one record per poll,
 *       committed once handed over) wakes the claim loop; so does a slot that frees, and every
 *       {@code poll-interval} an idle worker looks at the ledger's queue on its own.</li>
 *   <li>The claim ({@link PartitionStore#claim}) takes the queued partition of the highest priority
 *       (the one the request names when priorities tie), only while its step execution is STARTING:
 *       a request delivered twice runs its partition once.</li>
 *   <li>A heartbeat renews the leases of the partitions held (every third of {@code diffusion.job.lease})
 *       and this worker's row in {@code servers}.</li>
 *   <li>On stop (SIGTERM) the worker takes no more partitions, lets each partition finish its
 *       micro-batch in flight, gives it back to the queue ({@link PartitionStore#release}) and exits.</li>
 * </ol>
 * As the {@link PartitionGuard} of this process it gives partitions back on stop and ends a partition
 * that was taken from it (its lease ran out and a manager re-queued it) as failed, never as
 * completed; Spring Batch's optimistic lock keeps its step execution the new holder's anyway.
 * Thread-safe.
 */
@Component
@ConditionalOnRole(Roles.WORKER)
@DependsOn(StartupChecks.BEAN) // every dependency answered before any partition is claimed
public class ClusterWorker implements SmartLifecycle, PartitionGuard {

    /** The consumer group of the workers on the partition topic (what autoscaling reads the lag of). */
    public static final String GROUP = "diffusion-workers";

    private static final Logger LOG = LoggerFactory.getLogger(ClusterWorker.class);
    /** How long a stopping worker waits for its micro-batches in flight, beyond one lease. */
    static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final PartitionStore partitions;
    private final ServerInstance instance;
    private final ServerRegistration registration;
    private final DiffusionProperties props;
    private final StepExecutionRequestHandler handler;
    private final Duration lease;
    private final Duration poll;
    private final int slots;
    private final Object wake = new Object();
    /** The partitions this worker runs now (their step execution ids): one per busy slot. */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    private final Set<Long> givenBack = ConcurrentHashMap.newKeySet();
    /** Partitions held per run: a run's context (its request, perhaps large) is dropped with its last one. */
    private final Map<Long, Integer> perRun = new ConcurrentHashMap<>();
    private final RunContexts runs;
    private volatile Long hint;
    private volatile boolean running;
    private volatile boolean draining;
    private ExecutorService executor;
    private KafkaMessageListenerContainer<String, byte[]> container;
    private Thread claimer;
    private Thread heartbeat;

    public ClusterWorker(PartitionStore partitions, ServerInstance instance, ServerRegistration registration,
                         JobRepository repository, Step partitionStep, RunContexts runs, DiffusionProperties props) {
        this.partitions = partitions;
        this.runs = runs;
        this.instance = instance;
        this.registration = registration;
        this.props = props;
        this.lease = props.job().lease();
        this.poll = props.cluster().pollInterval();
        this.slots = props.cluster().slots();
        this.handler = new StepExecutionRequestHandler();
        handler.setJobRepository(repository);
        handler.setStepLocator(name -> {
            if (!GenerationJobConfig.PARTITION_STEP.equals(name)) {
                throw new IllegalArgumentException("partition request: no step '" + name + "' in this worker");
            }
            return partitionStep;
        });
    }

    @Override
    public void start() {
        running = true;
        Duration patience = props.job().databaseWait();
        ExecutorService pool = Executors.newFixedThreadPool(slots, r -> {
            Thread t = new Thread(() -> DatabaseWatch.runPatiently(patience, r), "partition-slot");
            t.setDaemon(false);
            return t;
        });
        executor = pool;
        heartbeat = new Thread(this::heartbeat, "partition-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
        container = container();
        container.start();
        claimer = new Thread(this::claimLoop, "partition-claims");
        claimer.setDaemon(true);
        claimer.start();
        LOG.info("worker {}: {} slot(s), partition requests from topic {} (group {})", instance.id(), slots,
                props.cluster().partitionTopic(), GROUP);
    }

    /**
     * Stops taking partitions, gives back each held one after its micro-batch in flight, and waits
     * for them: at most {@link #STOP_WAIT} beyond one lease (a micro-batch of a large model on a CPU);
     * a partition still running then is lost, and a manager re-queues it when its lease runs out.
     */
    @Override
    public void stop() {
        draining = true;
        running = false;
        wakeUp();
        try {
            container.stop();
        } catch (RuntimeException e) {
            LOG.debug("partition request consumer not stopped cleanly: {}", e.getMessage());
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(lease.plus(STOP_WAIT).toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("partitions {} still running at stop: they run again elsewhere when their lease runs out", held);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        heartbeat.interrupt();
        try {
            registration.leave();
        } catch (RuntimeException e) {
            LOG.debug("server row not deleted: {}", e.getMessage());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the data source and the engines are closed. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 100;
    }

    @Override
    public void beforeBatch(StepExecution step) {
        if (draining && held.contains(step.getId())) {
            boolean ours = partitions.release(step.getId(), instance.id());
            givenBack.add(step.getId());
            LOG.info("{} of run {}: given back to the queue (this worker stops)", step.getStepName(),
                    requestId(step));
            throw new PartitionGivenBack(step.getStepName() + (ours ? ": given back, this worker stops"
                    : ": no longer this worker's"));
        }
    }

    @Override
    public void afterLastBatch(StepExecution step) {
        if (held.contains(step.getId()) && !partitions.holds(step.getId(), instance.id())) {
            givenBack.add(step.getId());
            throw new PartitionGivenBack(step.getStepName() + " of run " + requestId(step)
                    + ": taken from this worker (its lease ran out); another worker runs it");
        }
    }

    /** Ends a partition that this worker no longer holds; never seen by a manager (the step is not saved). */
    static final class PartitionGivenBack extends RuntimeException {
        PartitionGivenBack(String message) {
            super(message, null, false, false);
        }
    }

    private KafkaMessageListenerContainer<String, byte[]> container() {
        Map<String, Object> config = new HashMap<>(KafkaClients.consumerConfig(props.kafka(), GROUP, "worker"));
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1); // take no more than a free slot can run
        ContainerProperties cp = new ContainerProperties(props.cluster().partitionTopic());
        cp.setGroupId(GROUP);
        cp.setAckMode(ContainerProperties.AckMode.RECORD);
        cp.setPollTimeout(Math.max(100, poll.toMillis()));
        cp.setMessageListener((MessageListener<String, byte[]>) record -> {
            try {
                StepExecutionRequest r = PartitionRequests.decode(record.value());
                hint = r.getStepExecutionId();
                LOG.debug("partition request for step execution {}", r.getStepExecutionId());
            } catch (IllegalArgumentException e) {
                LOG.warn("partition topic {} offset {}: skipped: {}", record.partition(), record.offset(), e.getMessage());
            }
            wakeUp();
        });
        KafkaMessageListenerContainer<String, byte[]> c =
                new KafkaMessageListenerContainer<>(new DefaultKafkaConsumerFactory<>(config), cp);
        c.setBeanName("partition-requests");
        return c;
    }

    private void claimLoop() {
        while (running) {
            try {
                if (held.size() < slots) {
                    Long preferred = hint;
                    hint = null;
                    var claim = partitions.claim(instance.id(), lease, preferred);
                    if (claim.isPresent()) {
                        run(claim.get());
                        continue; // another slot may be free, and more may be queued
                    }
                }
                pauseOrResume();
                synchronized (wake) {
                    wake.wait(poll.toMillis());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.debug("partition claim failed: {}", e.getMessage()); // the database watch logs an outage
                pause(poll.toMillis());
            }
        }
    }

    /** While every slot is busy the consumer stays in its group without taking requests. */
    private void pauseOrResume() {
        boolean full = held.size() >= slots;
        if (full && !container.isPauseRequested()) {
            container.pause();
        } else if (!full && container.isPauseRequested()) {
            container.resume();
        }
    }

    private void run(PartitionStore.Claim claim) {
        held.add(claim.stepExecutionId());
        perRun.merge(claim.requestId(), 1, Integer::sum);
        pauseOrResume();
        LOG.info("{} of run {} (step execution {}, attempt {}) runs here", claim.name(), claim.requestId(),
                claim.stepExecutionId(), claim.attempt());
        executor.execute(() -> {
            String outcome = "failed";
            try {
                StepExecution done = handler.handle(new StepExecutionRequest(GenerationJobConfig.PARTITION_STEP,
                        claim.stepExecutionId()));
                outcome = outcome(done.getStatus());
            } catch (OptimisticLockingFailureException e) {
                // the step execution was changed by a manager (it re-queued or recovered the partition)
                LOG.info("{} of run {}: no longer this worker's ({})", claim.name(), claim.requestId(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("{} of run {} failed here: {}", claim.name(), claim.requestId(), e.toString());
            } finally {
                try {
                    if (!givenBack.remove(claim.stepExecutionId())) {
                        partitions.finish(claim.stepExecutionId(), instance.id(), outcome);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("{} of run {}: end not recorded ({}); a manager does it when the lease runs out",
                            claim.name(), claim.requestId(), e.getMessage());
                }
                if (perRun.compute(claim.requestId(), (k, n) -> n == null || n <= 1 ? null : n - 1) == null) {
                    runs.evict(claim.requestId()); // read again, with its progress, if another partition comes
                }
                held.remove(claim.stepExecutionId()); // the slot is free
                wakeUp();
            }
        });
    }

    private static String outcome(BatchStatus s) {
        return switch (s) {
            case COMPLETED -> "completed";
            case STOPPED, STOPPING -> "stopped";
            default -> "failed";
        };
    }

    private void heartbeat() {
        long every = Math.max(1_000, lease.toMillis() / 3);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                registration.beat();
            } catch (RuntimeException e) {
                LOG.debug("server heartbeat not written: {}", e.getMessage());
            }
            try {
                if (!held.isEmpty()) {
                    partitions.renew(instance.id(), lease);
                }
            } catch (RuntimeException e) {
                LOG.debug("partition leases not renewed: {}", e.getMessage());
            }
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void wakeUp() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void pause(long ms) {
        synchronized (wake) {
            try {
                wake.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long requestId(StepExecution step) {
        return step.getJobExecution().getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
    }
}
