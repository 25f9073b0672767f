package io.diffusionbatch.metrics;

import io.diffusionbatch.engine.ItemCounters;
import io.diffusionbatch.ledger.ItemResult;
import io.diffusionbatch.ledger.ItemStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The platform's meters (Micrometer; {@code /actuator/prometheus} shows them with Prometheus
 * names, e.g. {@code diffusion_items_total}). Workers report each recorded micro-batch, the
 * summarize step the items it cancelled, intake each dead-lettered record and its consumer lag;
 * backlog gauges ask the ledger at most every {@value #BACKLOG_CACHE_SECONDS} s. The names:
 * <table>
 *   <caption>meters</caption>
 *   <tr><td>{@value #ITEMS}</td><td>counter, tags {@code status} (done, failed, cancelled) and {@code model}</td></tr>
 *   <tr><td>{@value #NFE}</td><td>counter of network evaluations per sample, summed over items, tag {@code model}</td></tr>
 *   <tr><td>{@value #STAGE}</td><td>timer of the seconds each item spent per stage, tag {@code stage}
 *       (tokenize, text_encode, denoise, decode, write) and {@code model}</td></tr>
 *   <tr><td>{@value #GFLOPS}</td><td>counter of GFLOPs computed, tag {@code model}</td></tr>
 *   <tr><td>{@value #JOULES}</td><td>counter of joules, tags {@code model} and {@code source} (rapl, nvml, estimated:…)</td></tr>
 *   <tr><td>{@value #PENDING}</td><td>gauge: pending items of the runs not yet finished</td></tr>
 *   <tr><td>{@value #WAITING}</td><td>gauge: runs accepted and not started</td></tr>
 *   <tr><td>{@value #LAG}</td><td>gauge: records of the requests topic not yet consumed by intake</td></tr>
 *   <tr><td>{@value #DEAD_LETTERS}</td><td>counter of records sent to the dead-letter topic</td></tr>
 *   <tr><td>{@value #EVENTS_WAITING}</td><td>gauge: events (and dead letters) in the ledger's outbox, not yet
 *       acknowledged by the broker (grows while the broker is away)</td></tr>
 *   <tr><td>{@value #PARTITIONS}</td><td>gauge, tag {@code state} (queued, running): cluster mode's partitions
 *       waiting for a worker and running on one</td></tr>
 * </table>
 * Thread-safe.
 */
public class PlatformMetrics {

    public static final String ITEMS = "diffusion.items";
    public static final String NFE = "diffusion.nfe";
    public static final String STAGE = "diffusion.stage";
    public static final String GFLOPS = "diffusion.gflops";
    public static final String JOULES = "diffusion.energy.joules";
    public static final String PENDING = "diffusion.items.pending";
    public static final String WAITING = "diffusion.runs.waiting";
    public static final String LAG = "diffusion.intake.lag";
    public static final String DEAD_LETTERS = "diffusion.intake.dead.letters";
    public static final String EVENTS_WAITING = "diffusion.events.waiting";
    public static final String PARTITIONS = "diffusion.partitions";
    /** Every meter name, as the README lists them. */
    public static final List<String> NAMES = List.of(ITEMS, NFE, STAGE, GFLOPS, JOULES, PENDING, WAITING, LAG,
            DEAD_LETTERS, EVENTS_WAITING, PARTITIONS);

    static final long BACKLOG_CACHE_SECONDS = 5;

    private final MeterRegistry registry;
    private final AtomicLong lag = new AtomicLong();
    private final Counter deadLetters;
    // Micrometer holds a gauge's state weakly: these fields keep them alive
    private final CachedCount pending;
    private final CachedCount waiting;
    private final CachedCount events;
    private final CachedCount queuedPartitions;
    private final CachedCount runningPartitions;

    /**
     * @param pendingItems the ledger's count of pending items of live runs (may throw when the
     *                     database is away: the gauge then reads NaN)
     * @param waitingRuns  the ledger's count of runs waiting to start
     * @param outbox       the ledger's count of records waiting in the outbox
     * @param partitions   the ledger's count of cluster mode's partitions in a state ({@code queued}, {@code running})
     */
    public PlatformMetrics(MeterRegistry registry, LongSupplier pendingItems, LongSupplier waitingRuns,
                           LongSupplier outbox, java.util.function.ToLongFunction<String> partitions) {
        this.registry = registry;
        queuedPartitions = new CachedCount(() -> partitions.applyAsLong("queued"));
        runningPartitions = new CachedCount(() -> partitions.applyAsLong("running"));
        Gauge.builder(PARTITIONS, queuedPartitions, CachedCount::value).tag("state", "queued")
                .description("cluster mode: partitions waiting for a worker").register(registry);
        Gauge.builder(PARTITIONS, runningPartitions, CachedCount::value).tag("state", "running")
                .description("cluster mode: partitions running on a worker").register(registry);
        pending = new CachedCount(pendingItems);
        waiting = new CachedCount(waitingRuns);
        events = new CachedCount(outbox);
        Gauge.builder(EVENTS_WAITING, events, CachedCount::value)
                .description("events and dead letters in the ledger's outbox, not yet acknowledged by the broker")
                .register(registry);
        Gauge.builder(PENDING, pending, CachedCount::value)
                .description("pending items of the runs not yet finished").register(registry);
        Gauge.builder(WAITING, waiting, CachedCount::value)
                .description("runs accepted and waiting to start").register(registry);
        Gauge.builder(LAG, lag, AtomicLong::doubleValue)
                .description("records of the requests topic not yet consumed by intake").register(registry);
        deadLetters = Counter.builder(DEAD_LETTERS)
                .description("records refused by intake and sent to the dead-letter topic").register(registry);
    }

    /** A recorded micro-batch: its items done, with their counters and energy. */
    public void recorded(String model, List<ItemResult> results) {
        items(ItemStatus.DONE, model).increment(results.size());
        Counter nfe = Counter.builder(NFE).tag("model", model)
                .description("network evaluations (denoiser calls per sample, summed over items)").register(registry);
        Counter gflops = Counter.builder(GFLOPS).tag("model", model).description("GFLOPs computed").register(registry);
        for (ItemResult r : results) {
            ItemCounters c = r.counters();
            nfe.increment(c.nfe());
            gflops.increment(c.cost().flopsPerSample() / 1e9);
            stage(model, "tokenize", c.tokenizeSeconds());
            stage(model, "text_encode", c.textEncodeSeconds());
            stage(model, "denoise", c.denoiseSeconds());
            stage(model, "decode", c.decodeSeconds());
            stage(model, "write", c.writeSeconds());
            if (r.energyJoules() != null) {
                Counter.builder(JOULES).tag("model", model).tag("source", String.valueOf(r.energySource()))
                        .description("energy of the items made, joules").register(registry)
                        .increment(r.energyJoules());
            }
        }
    }

    /** Items that failed for good, or were cancelled before they ran. */
    public void items(ItemStatus status, String model, long n) {
        items(status, model).increment(n);
    }

    public void deadLettered() {
        deadLetters.increment();
    }

    /** The intake consumer's lag over all partitions of the requests topic, as it last measured it. */
    public void intakeLag(long records) {
        lag.set(records);
    }

    private Counter items(ItemStatus status, String model) {
        return Counter.builder(ITEMS).tag("status", status.sql()).tag("model", model)
                .description("items finished, by status").register(registry);
    }

    private void stage(String model, String stage, double seconds) {
        Timer.builder(STAGE).tag("stage", stage).tag("model", model)
                .description("seconds each item spent per stage (its share of the micro-batch)").register(registry)
                .record(Duration.ofNanos(Math.round(seconds * 1e9)));
    }

    /** A ledger count read at most every few seconds; NaN while the ledger cannot answer. */
    private static final class CachedCount {
        private final LongSupplier source;
        private long readAt = Long.MIN_VALUE;
        private double value = Double.NaN;

        CachedCount(LongSupplier source) {
            this.source = source;
        }

        synchronized double value() {
            long now = System.nanoTime();
            if (readAt == Long.MIN_VALUE || now - readAt > TimeUnit.SECONDS.toNanos(BACKLOG_CACHE_SECONDS)) {
                readAt = now;
                try {
                    value = source.getAsLong();
                } catch (RuntimeException e) {
                    value = Double.NaN;
                }
            }
            return value;
        }
    }
}
