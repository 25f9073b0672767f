package io.diffusionbatch.job;

import io.diffusionbatch.energy.EnergyMeter;
import io.diffusionbatch.energy.Hardware;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.ItemResult;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.PendingItem;
import io.diffusionbatch.ledger.ResultStore;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.metrics.PlatformMetrics;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.DiffusionProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The worker of one partition: each call takes the next micro-batch of pending items of the
 * partition's range, runs it through the engine, writes every output of the batch to the
 * partition's staging folder, then moves them into place (each atomically, through the
 * {@link OutputStore}, which refuses links and paths outside the output root: the run fails with
 * its reason) and records outputs, statistics and status in one transaction. A storage failure
 * (full, read-only) while staging leaves no file of the batch in place.
 * An item is "written" when that transaction commits; a crash before it leaves the item pending,
 * and the restarted partition makes it again (the same bytes, the same file name), so no item
 * ever gets two outputs. Stops early, after the batch in flight, when the run is cancelled (the
 * query for the next batch returns nothing then). One ledger round trip before each micro-batch,
 * one transaction after it, and none after the last. The step runs without a transaction of its
 * own: each ledger call commits alone and waits out a database outage ({@link DatabaseWatch#retrying}),
 * so a micro-batch generated while the database is away is recorded when it returns.
 * Stateless and thread-safe: partitions share one instance.
 */
@Component
public class PartitionWorker implements Tasklet {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionWorker.class);

    private final ItemStore items;
    private final ResultStore results;
    private final RunContexts runs;
    private final RunEvents events;
    private final OutputStore store;
    private final EnergyMeter meter;
    private final PlatformMetrics metrics;
    private final int batchSize;
    private final String worker;
    private final DatabaseWatch database;
    private final Duration databaseWait;
    private final TransactionTemplate ownTransaction;
    private final ServerInstance instance;
    /** Resolved at the first partition: the cluster worker that guards partitions also holds the step. */
    private final ObjectProvider<PartitionGuard> guards;
    private volatile PartitionGuard guard;

    public PartitionWorker(ItemStore items, ResultStore results, RunContexts runs,
                           RunEvents events, OutputStore store, EnergyMeter meter, PlatformMetrics metrics,
                           DatabaseWatch database, PlatformTransactionManager tm, ServerInstance instance,
                           ObjectProvider<PartitionGuard> guard, DiffusionProperties props) {
        this.guards = guard;
        this.instance = instance;
        this.database = database;
        this.ownTransaction = new TransactionTemplate(tm);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.databaseWait = props.job().databaseWait();
        this.store = store;
        this.metrics = metrics;
        this.meter = meter;
        this.items = items;
        this.results = results;
        this.runs = runs;
        this.events = events;
        this.batchSize = props.job().batchSize();
        this.worker = instance.host() + ":" + ProcessHandle.current().pid();
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
        StepExecution step = chunkContext.getStepContext().getStepExecution();
        long requestId = step.getJobExecution().getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
        long from = step.getExecutionContext().getLong(RangePartitioner.FROM);
        long to = step.getExecutionContext().getLong(RangePartitioner.TO);
        String partition = "run " + requestId + " " + step.getStepName();
        PartitionGuard guard = this.guard;
        if (guard == null) {
            this.guard = guard = guards.getIfAvailable(() -> PartitionGuard.NONE);
        }
        guard.beforeBatch(step);
        ItemStore.PendingBatch next = ledger("claim the next items of " + partition,
                () -> items.nextBatch(requestId, from, to, batchSize, instance.id(), step.getId()));
        List<PendingItem> batch = next.items();
        if (batch.isEmpty()) { // the range is done, or the run was cancelled, or it is no longer ours
            guard.afterLastBatch(step);
            return RepeatStatus.FINISHED;
        }
        // the last micro-batch of the range ends the partition: no extra chunk (transaction, step
        // bookkeeping) only to find the range empty
        RepeatStatus after = next.more() ? RepeatStatus.CONTINUABLE : RepeatStatus.FINISHED;
        RunContext run = ledger("read " + partition, () -> runs.get(requestId));
        List<GenerationSpec> specs = new ArrayList<>(batch.size());
        for (PendingItem p : batch) {
            specs.add(new GenerationSpec(p.prompt(), p.negativePrompt() == null ? "" : p.negativePrompt(), p.seed(),
                    run.params()));
        }
        List<GeneratedItem> made;
        long energyBefore = meter.read();
        double joulesEach;
        try {
            made = run.engine().generate(specs);
            joulesEach = meter.joulesBetween(energyBefore, meter.read()) / batch.size();
        } catch (RuntimeException e) {
            LOG.warn("run {} items {}..{} failed: {}", requestId, batch.get(0).index(),
                    batch.get(batch.size() - 1).index(), e.getMessage());
            ledger("record the failure of " + partition, () -> {
                for (PendingItem p : batch) {
                    items.markFailed(requestId, p.index(), worker, e.getMessage());
                }
                return null;
            });
            run.finished().addAndGet(batch.size());
            contribution.incrementWriteSkipCount(batch.size());
            String model = run.request().model();
            int failed = batch.size();
            Transactions.afterCommit(() -> metrics.items(ItemStatus.FAILED, model, failed));
            return after;
        }
        List<ItemWriter.Written> staged = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            staged.add(write(run, step.getStepName(), batch.get(i), made.get(i)));
        }
        List<ItemResult> done = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            done.add(move(run, batch.get(i), staged.get(i), i, step.getStepName(), joulesEach));
        }
        long finished = run.finished().addAndGet(done.size());
        // the progress event commits with the rows it reports (the outbox); nothing here waits for Kafka
        ledger("record items " + batch.get(0).index() + ".." + batch.get(batch.size() - 1).index() + " of " + partition,
                () -> {
                    results.record(done);
                    events.publish(requestId, EventType.PROGRESS, Map.of("finished", finished,
                            "total", run.request().itemCount(), "partition", step.getStepName()));
                    return null;
                });
        String model = run.request().model();
        Transactions.afterCommit(() -> metrics.recorded(model, done));
        contribution.incrementWriteCount(done.size());
        return after;
    }

    /**
     * A ledger call that waits out a database outage (up to {@code diffusion.job.database-wait}) and
     * is tried again: the generation already made is not lost to a short outage. Each call is
     * its own transaction (the partition step runs without one), so a retry starts clean.
     */
    private <T> T ledger(String what, Supplier<T> call) {
        // a new transaction per try: it takes a fresh connection from the pool rather than the one the
        // chunk's (resourceless) synchronization would keep bound to the thread, which died with the database
        return database.retrying(what, databaseWait, () -> true, () -> ownTransaction.execute(status -> call.get()));
    }

    /** Writes an item's files to the partition's staging folder (checked again right before). */
    private ItemWriter.Written write(RunContext run, String partition, PendingItem p, GeneratedItem item) {
        Path stagedFile = store.staging(run.outputDir(), partition).resolve(fileStem(p) + "." + run.request().output().format().extension());
        return ItemWriter.write(item, run.engine().identity(), stagedFile, run.request().output().format(), run.fps(),
                false);
    }

    /** Moves an item's staged files into the run's folder (the sidecar first, the output last). */
    private ItemResult move(RunContext run, PendingItem p, ItemWriter.Written w, int position, String partition,
                            double joules) {
        store.publish(run.outputDir(), w.sidecar());
        Path target = store.publish(run.outputDir(), w.file());
        return new ItemResult(p.requestId(), p.index(), target.getFileName().toString(), w.sha256(), w.mediaType(),
                w.bytes(), run.engine().identity().sha256(), run.params().sampler(), run.params().guidance(), position,
                partition, worker, w.item().counters(), joules, meter.source(),
                Hardware.of(w.item().counters().device(), meter).orElse(null));
    }

    /** File name of an item without extension: zero-padded index and seed, e.g. {@code 00000042-7}. */
    public static String fileStem(PendingItem p) {
        return String.format("%08d-%d", p.index(), p.seed());
    }
}
