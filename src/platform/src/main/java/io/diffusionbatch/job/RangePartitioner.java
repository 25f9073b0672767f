package io.diffusionbatch.job;

import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Splits item indexes [0, itemCount) into at most {@code gridSize} contiguous ranges of nearly
 * equal size ({@code from} inclusive, {@code to} exclusive in each context), named
 * {@code partition0 …}, none smaller than {@code minItems} unless the whole run is: a partition
 * costs fixed bookkeeping (its step execution, its start and end in the job repository, a thread),
 * worth paying only for enough work. No empty ranges; none at all for zero items. Thread-safe
 * (immutable).
 */
public final class RangePartitioner implements Partitioner {

    public static final String FROM = "from";
    public static final String TO = "to";

    private final long itemCount;
    private final long minItems;

    /** Ranges of any size (at least one item). */
    public RangePartitioner(long itemCount) {
        this(itemCount, 1);
    }

    /** Ranges of at least {@code minItems} items (one range when the run is smaller). */
    public RangePartitioner(long itemCount, long minItems) {
        if (itemCount < 0) {
            throw new IllegalArgumentException("itemCount: must be >= 0, was " + itemCount);
        }
        if (minItems < 1) {
            throw new IllegalArgumentException("minItems: must be >= 1, was " + minItems);
        }
        this.itemCount = itemCount;
        this.minItems = minItems;
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        if (gridSize < 1) {
            throw new IllegalArgumentException("gridSize: must be >= 1, was " + gridSize);
        }
        int parts = (int) Math.min(gridSize, Math.min(itemCount, Math.max(1, itemCount / minItems)));
        Map<String, ExecutionContext> out = new LinkedHashMap<>();
        long base = parts == 0 ? 0 : itemCount / parts;
        long extra = parts == 0 ? 0 : itemCount % parts;
        long from = 0;
        for (int p = 0; p < parts; p++) {
            long to = from + base + (p < extra ? 1 : 0);
            ExecutionContext ctx = new ExecutionContext();
            ctx.putLong(FROM, from);
            ctx.putLong(TO, to);
            out.put("partition" + p, ctx);
            from = to;
        }
        return out;
    }
}
