package io.diffusionbatch.job;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The job executions running in this process (a listener of the {@code generate} job): on shutdown
 * the dispatcher stops these, never another replica's, which the shared job repository also
 * lists as running. Thread-safe.
 */
@Component
public class LocalExecutions implements JobExecutionListener {

    private final Set<Long> running = ConcurrentHashMap.newKeySet();

    @Override
    public void beforeJob(JobExecution jobExecution) {
        running.add(jobExecution.getId());
    }

    @Override
    public void afterJob(JobExecution jobExecution) {
        running.remove(jobExecution.getId());
    }

    /** The ids of the executions running here now; a copy. */
    public List<Long> ids() {
        return List.copyOf(running);
    }
}
