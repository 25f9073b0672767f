package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStats;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.metrics.PlatformMetrics;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Step 3 of a run: closes it. A cancelled run has its pending items marked cancelled; run-level
 * figures are computed from the item rows; the request gets its final status and the matching
 * event is published. Stateless and thread-safe.
 */
@Component
public class SummarizeTasklet implements Tasklet {

    private final RequestStore requests;
    private final ItemStore items;
    private final RunStatsStore stats;
    private final RunLifecycle lifecycle;
    private final RunContexts runs;
    private final QualityStore quality;
    private final PlatformMetrics metrics;
    private final RunCleanup cleanup;
    private final JobRepository repository;

    public SummarizeTasklet(RequestStore requests, ItemStore items, RunStatsStore stats, RunLifecycle lifecycle,
                            RunContexts runs, QualityStore quality, PlatformMetrics metrics, RunCleanup cleanup,
                            JobRepository repository) {
        this.cleanup = cleanup;
        this.repository = repository;
        this.quality = quality;
        this.metrics = metrics;
        this.requests = requests;
        this.items = items;
        this.stats = stats;
        this.lifecycle = lifecycle;
        this.runs = runs;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
        StepExecution step = chunkContext.getStepContext().getStepExecution();
        JobExecution job = step.getJobExecution();
        long requestId = job.getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
        boolean cancelled = requests.isCancelling(requestId);
        if (cancelled) {
            int n = items.cancelPending(requestId);
            String model = requests.find(requestId).map(RequestRow::model).orElse("unknown");
            Transactions.afterCommit(() -> metrics.items(ItemStatus.CANCELLED, model, n));
        }
        cleanup.sweep(requestId);
        double wall = generateSeconds(job);
        double expand = job.getExecutionContext().containsKey(ExpandTasklet.EXPAND_SECONDS)
                ? job.getExecutionContext().getDouble(ExpandTasklet.EXPAND_SECONDS) : 0.0;
        RunStats s = stats.summarize(requestId, wall, expand);
        RunStatus status = cancelled ? RunStatus.CANCELLED
                : s.itemsFailed() > 0 && s.itemsDone() == 0 ? RunStatus.FAILED : RunStatus.COMPLETED;
        String message = s.itemsFailed() > 0 ? s.itemsFailed() + " items failed (see items.error)" : null;
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("done", s.itemsDone());
        detail.put("failed", s.itemsFailed());
        detail.put("cancelled", s.itemsCancelled());
        detail.put("seconds", s.wallSeconds());
        detail.put("itemsPerSecond", s.itemsPerSecond());
        detail.put("totalNfe", s.totalNfe());
        quality.find(requestId).ifPresent(q -> {
            detail.put("adherence", q.adherence());
            detail.put("fid", q.fid());
        });
        // in the step's transaction: the event is published once the run's final rows have committed
        lifecycle.finish(requestId, status, message, detail);
        runs.evict(requestId);
        return RepeatStatus.FINISHED;
    }

    /**
     * Time spent generating, over every execution of the run (a resumed run counts each attempt, not
     * only the last): per execution, from the first partition's start to the last partition's end
     * (or, for a partition that never ended because its process died, its last recorded chunk),
     * summed. The downtime between a crash and the resume is not counted. The partitions' times are read
     * from the job repository, the current execution's too: in cluster mode the manager's copies of its
     * partition step executions are never started here (the workers run and save them), so their start
     * times in its memory stay null, and the run's wall time and items/s came out 0.
     */
    private double generateSeconds(JobExecution current) {
        double total = 0;
        for (JobExecution listed : repository.getJobExecutions(current.getJobInstance())) {
            JobExecution je = repository.getJobExecution(listed.getId());
            if (je == null && listed.getId() == current.getId()) {
                je = current;
            }
            if (je != null) {
                total += generateSeconds(je.getStepExecutions(), listed.getId() == current.getId());
            }
        }
        return total;
    }

    /** One execution's share: first partition start to last partition end (now for the running execution). */
    static double generateSeconds(java.util.Collection<StepExecution> steps, boolean running) {
        LocalDateTime first = null;
        LocalDateTime last = null;
        for (StepExecution s : steps) {
            if (!s.getStepName().startsWith(GenerationJobConfig.PARTITION_STEP) || s.getStartTime() == null) {
                continue;
            }
            LocalDateTime end = s.getEndTime() != null ? s.getEndTime()
                    : running ? LocalDateTime.now() : s.getLastUpdated();
            if (end == null) {
                continue;
            }
            first = first == null || s.getStartTime().isBefore(first) ? s.getStartTime() : first;
            last = last == null || end.isAfter(last) ? end : last;
        }
        return first == null || last.isBefore(first) ? 0.0 : Duration.between(first, last).toNanos() / 1e9;
    }
}
