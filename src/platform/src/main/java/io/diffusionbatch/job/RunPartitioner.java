package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.core.scope.context.StepContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.Map;

/**
 * The generate step's partitioner: ranges over the items the expand step wrote for the run of
 * the current step (read from the step's job parameters), each of at least
 * {@code minItems} items. Thread-safe (stateless).
 */
public class RunPartitioner implements Partitioner {

    private final ItemStore items;
    private final long minItems;

    public RunPartitioner(ItemStore items, long minItems) {
        this.items = items;
        this.minItems = minItems;
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        StepContext ctx = StepSynchronizationManager.getContext();
        if (ctx == null) {
            throw new IllegalStateException("RunPartitioner must run inside a step");
        }
        long requestId = ctx.getStepExecution().getJobExecution().getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
        return new RangePartitioner(items.indexBound(requestId), minItems).partition(gridSize);
    }
}
