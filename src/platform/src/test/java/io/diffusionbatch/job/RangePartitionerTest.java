package io.diffusionbatch.job;

import org.junit.jupiter.api.Test;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RangePartitionerTest {

    private static List<long[]> ranges(long count, int grid) {
        Map<String, ExecutionContext> m = new RangePartitioner(count).partition(grid);
        return m.values().stream().map(c -> new long[]{c.getLong(RangePartitioner.FROM), c.getLong(RangePartitioner.TO)}).toList();
    }

    @Test
    void rangesTileTheItemsContiguouslyWithSizesDifferingByAtMostOne() {
        for (long count : new long[]{1, 2, 7, 10, 1000, 1_000_003}) {
            for (int grid : new int[]{1, 3, 4, 16}) {
                List<long[]> r = ranges(count, grid);
                assertThat(r).hasSize((int) Math.min(grid, count));
                long next = 0, min = Long.MAX_VALUE, max = 0;
                for (long[] x : r) {
                    assertThat(x[0]).isEqualTo(next);
                    assertThat(x[1]).isGreaterThan(x[0]);
                    min = Math.min(min, x[1] - x[0]);
                    max = Math.max(max, x[1] - x[0]);
                    next = x[1];
                }
                assertThat(next).isEqualTo(count);
                assertThat(max - min).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void tenItemsInThreePartitions() {
        assertThat(ranges(10, 3)).containsExactly(new long[]{0, 4}, new long[]{4, 7}, new long[]{7, 10});
        assertThat(new RangePartitioner(10).partition(3).keySet()).containsExactly("partition0", "partition1", "partition2");
    }

    @Test
    void noItemsNoPartitionsAndBadArgumentsAreRefused() {
        assertThat(ranges(0, 4)).isEmpty();
        assertThatThrownBy(() -> new RangePartitioner(-1)).hasMessageContaining("itemCount");
        assertThatThrownBy(() -> new RangePartitioner(5).partition(0)).hasMessageContaining("gridSize");
    }

    @Test
    void smallRunsGetFewerPartitionsOfAtLeastTheMinimum() {
        // 64 items, micro-batches of 8, at least 4 batches (32 items) per partition: 2 partitions of 32
        assertThat(new RangePartitioner(64, 32).partition(4)).hasSize(2);
        assertThat(new RangePartitioner(64, 32).partition(4).values())
                .extracting(c -> c.getLong(RangePartitioner.TO) - c.getLong(RangePartitioner.FROM)).containsExactly(32L, 32L);
        assertThat(new RangePartitioner(256, 32).partition(4)).as("large runs: the grid size").hasSize(4);
        assertThat(new RangePartitioner(95, 32).partition(4)).as("95 / 32 = 2 ranges of 48 and 47").hasSize(2);
        assertThat(new RangePartitioner(10, 32).partition(4)).as("smaller than the minimum: one range").hasSize(1);
        assertThat(new RangePartitioner(0, 32).partition(4)).isEmpty();
        assertThatThrownBy(() -> new RangePartitioner(5, 0)).hasMessageContaining("minItems");
    }
}
