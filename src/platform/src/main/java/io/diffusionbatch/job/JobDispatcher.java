package io.diffusionbatch.job;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.Optional;

/**
 * Starts runs, one at a time, on a thread of its own (never on the Kafka consumer's poll
 * thread): first the runs that were interrupted (the process died or stopped mid-run) are
 * restarted through Spring Batch, then waiting runs start in priority order, then first come
 * first served. On shutdown the running job is stopped cleanly (it ends after its micro-batch in
 * flight, STOPPED and restartable). Active in the server role only.
 */
@Component
@ConditionalOnProperty(name = "diffusion.role", havingValue = "server")
public class JobDispatcher implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(JobDispatcher.class);
    private static final long IDLE_WAIT_MS = 300;

    private final RequestStore requests;
    private final JobOperator operator;
    private final JobRepository repository;
    private final Job job;
    private final RunEvents events;
    private final Object wake = new Object();
    private volatile boolean running;
    private Thread thread;

    public JobDispatcher(RequestStore requests, JobOperator operator, JobRepository repository, Job generateJob,
                         RunEvents events) {
        this.requests = requests;
        this.operator = operator;
        this.repository = repository;
        this.job = generateJob;
        this.events = events;
    }

    /** Tells the dispatcher that a request may be waiting (intake calls it after accepting one). */
    public void wakeUp() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::loop, "dispatcher");
        thread.setDaemon(false);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        try {
            for (Long id : operator.getRunningExecutions(GenerationJobConfig.JOB)) {
                operator.stop(id);
            }
        } catch (Exception e) {
            LOG.warn("cannot stop the running job: {}", e.getMessage());
        }
        wakeUp();
        try {
            thread.join(120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the Kafka consumer and the datasource, starts after them. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 100;
    }

    private void loop() {
        for (RequestRow r : requests.interrupted()) {
            if (!running) {
                return;
            }
            resume(r);
        }
        while (running) {
            Optional<RequestRow> next;
            try {
                next = requests.nextWaiting();
            } catch (RuntimeException e) {
                LOG.warn("dispatcher cannot read waiting runs: {}", e.getMessage());
                next = Optional.empty();
            }
            if (next.isPresent()) {
                runNew(next.get());
            } else {
                synchronized (wake) {
                    try {
                        wake.wait(IDLE_WAIT_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private static JobParameters params(long requestId) {
        return new JobParametersBuilder().addLong(GenerationJobConfig.REQUEST_ID, requestId).toJobParameters();
    }

    private void runNew(RequestRow r) {
        if (!requests.markStarted(r.id())) {
            return;
        }
        JobExecution last = repository.getLastJobExecution(GenerationJobConfig.JOB, params(r.id()));
        if (last != null) {
            resume(r);
            return;
        }
        try {
            track(operator.start(job, params(r.id())), r);
        } catch (Exception e) {
            fail(r, e);
        }
    }

    private void resume(RequestRow r) {
        try {
            JobExecution last = repository.getLastJobExecution(GenerationJobConfig.JOB, params(r.id()));
            if (last == null) {
                track(operator.start(job, params(r.id())), r);
                return;
            }
            if (last.getStatus() == BatchStatus.COMPLETED) {
                return;
            }
            if (last.getStatus().isRunning() || last.getStatus() == BatchStatus.STOPPING) {
                last = operator.recover(last);
            }
            LOG.info("resuming run {} (job execution {} was {})", r.id(), last.getId(), last.getStatus());
            events.publish(r.id(), EventType.RESUMED, Map.of("previousExecution", last.getId()));
            track(operator.restart(last), r);
        } catch (Exception e) {
            fail(r, e);
        }
    }

    private void track(JobExecution je, RequestRow r) {
        if (je.getStatus() == BatchStatus.FAILED) {
            String why = FailureReason.of(je);
            requests.markFinished(r.id(), RunStatus.FAILED, why);
            events.publish(r.id(), EventType.FAILED, Map.of("reason", String.valueOf(why)));
        }
    }

    private void fail(RequestRow r, Exception e) {
        LOG.warn("run {} failed to start: {}", r.id(), e.toString());
        requests.markFinished(r.id(), RunStatus.FAILED, e.getMessage());
        events.publish(r.id(), EventType.FAILED, Map.of("reason", String.valueOf(e.getMessage())));
    }
}
