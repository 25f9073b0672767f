package io.diffusionbatch.request;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A request's work items, computed on demand: nothing is built until asked for, so a request of millions of items
 * is counted in O(1) (template) or O(prompts) (lists) and any item is computed alone.
 *
 * <p><b>Order.</b> Prompt-major: prompt {@code p} (in {@link PromptSource} order) with seed {@code s} is item
 * {@code p × seedCount + s} as long as no prompt carries its own seed. A prompt with its own seed yields exactly one
 * item (with that seed) in its place, so in general prompt {@code p}'s items start at the sum of the item counts of
 * prompts {@code 0 … p−1} (1 for a prompt with its own seed, {@code seedCount} otherwise).
 *
 * <p>Immutable and thread-safe; the iterators are not.
 */
public final class ItemExpansion implements Iterable<WorkItem> {

    private final PromptSource prompts;
    private final SeedSpec seeds;
    private final String defaultNegative;
    /** For lists with own-seed entries: start[p] = first item of prompt p; start[n] = item count. Else null. */
    private final long[] start;
    private final long count;

    /**
     * @param prompts         the prompts; never null
     * @param seeds           the seeds; never null
     * @param defaultNegative the negative prompt of prompts that have none; null = none
     */
    public ItemExpansion(PromptSource prompts, SeedSpec seeds, String defaultNegative) {
        this.prompts = Objects.requireNonNull(prompts, "prompts");
        this.seeds = Objects.requireNonNull(seeds, "seeds");
        this.defaultNegative = defaultNegative == null ? "" : defaultNegative;
        long[] s = null;
        if (prompts instanceof PromptSource.EntryList list
                && list.entries().stream().anyMatch(e -> e.seed() != null)) {
            s = new long[list.entries().size() + 1];
            for (int p = 0; p < list.entries().size(); p++) {
                long n = list.entries().get(p).seed() != null ? 1 : seeds.count();
                s[p + 1] = s[p] > Long.MAX_VALUE - n ? Long.MAX_VALUE : s[p] + n;
            }
        }
        this.start = s;
        this.count = s != null ? s[s.length - 1] : PromptSource.saturatingMultiply(prompts.promptCount(), seeds.count());
    }

    /** Number of items (saturates at Long.MAX_VALUE, which no valid request comes near). */
    public long itemCount() {
        return count;
    }

    /** The item at this index, 0 &lt;= index &lt; {@link #itemCount()}. O(1) for templates, O(log prompts) for lists. */
    public WorkItem item(long index) {
        Objects.checkIndex(index, count);
        long p;
        long s;
        if (start == null) {
            p = index / seeds.count();
            s = index % seeds.count();
        } else {
            int found = Arrays.binarySearch(start, index);
            // exact hit: first item of prompt `found` (skip empty ranges cannot happen: every prompt has >= 1 item)
            p = found >= 0 ? found : -found - 2;
            s = index - start[(int) p];
        }
        PromptEntry e = prompts.entry(p);
        long seed = e.seed() != null ? e.seed() : seeds.seed(s);
        String negative = e.negative() != null ? e.negative() : defaultNegative;
        return new WorkItem(index, e.prompt(), negative, seed, e.labels());
    }

    /** All items in index order. */
    @Override
    public Iterator<WorkItem> iterator() {
        return iterator(0, count);
    }

    /** Items {@code from} (inclusive) to {@code to} (exclusive) in index order, e.g. one partition's range. */
    public Iterator<WorkItem> iterator(long from, long to) {
        if (from < 0 || to > count || from > to) {
            throw new IndexOutOfBoundsException("range: [" + from + ", " + to + ") is not within [0, " + count + ")");
        }
        return new Iterator<>() {
            private long next = from;

            @Override
            public boolean hasNext() {
                return next < to;
            }

            @Override
            public WorkItem next() {
                if (next >= to) {
                    throw new NoSuchElementException();
                }
                return item(next++);
            }
        };
    }

    /** Calls the action for items {@code from} (inclusive) to {@code to} (exclusive) in index order. */
    public void forEach(long from, long to, Consumer<? super WorkItem> action) {
        Objects.requireNonNull(action, "action");
        iterator(from, to).forEachRemaining(action);
    }
}
