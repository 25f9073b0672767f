package io.diffusionbatch.job;

import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Splits item indexes [0, itemCount) into at most {@code gridSize} contiguous ranges of nearly
 * equal size ({@code from} inclusive, {@code to} exclusive in each context), named
 * {@code partition0 …}. No empty ranges; none at all for zero items. Thread-safe (immutable).
 */
public final class RangePartitioner implements Partitioner {

    public static final String FROM = "from";
    public static final String TO = "to";

    private final long itemCount;

    public RangePartitioner(long itemCount) {
        if (itemCount < 0) {
            throw new IllegalArgumentException("itemCount: must be >= 0, was " + itemCount);
        }
        this.itemCount = itemCount;
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        if (gridSize < 1) {
            throw new IllegalArgumentException("gridSize: must be >= 1, was " + gridSize);
        }
        int parts = (int) Math.min(gridSize, itemCount);
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
