package io.diffusionbatch.cluster;

import io.diffusionbatch.job.GenerationJobConfig;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.job.RunContexts;
import io.diffusionbatch.request.GenerationRequest;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.MessageChannelPartitionHandler;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The manager's partition handler: Spring Batch's {@link MessageChannelPartitionHandler} (it sends one
 * request per partition over the request channel, then polls the job repository until every
 * partition's step execution has ended), with each partition queued in the ledger
 * ({@link PartitionStore#queue}, with its run's priority and cap, {@code maxWorkers}) between the split and the sending, so that
 * a worker can claim it whether or not its request arrives. Thread-safe: runs share it.
 */
public final class QueueingPartitionHandler implements PartitionHandler {

    private final MessageChannelPartitionHandler delegate;
    private final PartitionStore partitions;
    private final RunContexts runs;

    public QueueingPartitionHandler(MessageChannelPartitionHandler delegate, PartitionStore partitions,
                                    RunContexts runs) {
        this.delegate = delegate;
        this.partitions = partitions;
        this.runs = runs;
    }

    @Override
    public Collection<StepExecution> handle(StepExecutionSplitter splitter, StepExecution managerStep) throws Exception {
        long requestId = managerStep.getJobExecution().getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
        GenerationRequest request = runs.get(requestId).request();
        int priority = request.priority();
        Integer cap = request.maxWorkers();
        return delegate.handle(new StepExecutionSplitter() {
            @Override
            public String getStepName() {
                return splitter.getStepName();
            }

            @Override
            public Set<StepExecution> split(StepExecution stepExecution, int gridSize)
                    throws org.springframework.batch.core.job.JobExecutionException {
                Set<StepExecution> parts = splitter.split(stepExecution, gridSize);
                List<PartitionStore.Queued> queued = new ArrayList<>();
                parts.stream().sorted(Comparator.comparingLong(StepExecution::getId)).forEach(p ->
                        queued.add(new PartitionStore.Queued(p.getId(), requestId, p.getJobExecutionId(),
                                p.getStepName(), priority, cap)));
                partitions.queue(queued);
                return parts;
            }
        }, managerStep);
    }
}
