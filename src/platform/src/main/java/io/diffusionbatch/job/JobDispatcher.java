package io.diffusionbatch.job;

import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.ledger.DatabaseUnavailableException;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.DiffusionProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.context.annotation.DependsOn;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Starts runs on a thread of its own (never on the Kafka consumer's poll thread): first the runs
 * that were interrupted (the process died or stopped mid-run) are restarted through Spring Batch,
 * then waiting runs start in priority order, then first come first served. A server runs one at a
 * time (its partitions on threads of this process); a manager drives up to
 * {@code diffusion.cluster.runs} at once on job threads, their partitions running on the workers,
 * and only while it is the active manager ({@link DispatchGate}). Several replicas share the
 * ledger: a run is claimed with a lease ({@code diffusion.job.lease}, renewed by a heartbeat), only
 * runs whose lease has expired or was released are resumed (or those of a dead earlier process of
 * this machine), and workers make items only for runs their instance owns or partitions they hold.
 * On shutdown this process's running jobs are stopped cleanly (they end after their micro-batches in
 * flight, STOPPED and restartable) and its leases are released for another replica to resume. It
 * starts only after the server's dependencies passed their checks ({@code StartupChecks}), and its
 * heartbeat also keeps this server's row in the ledger ({@link ServerRegistration}). Active in the
 * server and manager roles.
 */
@Component
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER})
@DependsOn("startupChecks") // every dependency answered before any run is claimed or recovered
public class JobDispatcher implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(JobDispatcher.class);
    private static final long IDLE_WAIT_MS = 300;
    /** The exit status of an execution or step marked FAILED by {@link #recoverStale}. */
    private static final ExitStatus RECOVERED = ExitStatus.FAILED.addExitDescription(
            "recovered: the process running it stopped or lost its database");

    private final RequestStore requests;
    private final JobOperator operator;
    private final JobRepository repository;
    private final Job job;
    private final RunEvents events;
    private final RunLifecycle lifecycle;
    private final DatabaseWatch database;
    private final Duration databaseWait;
    private final ItemStore items;
    private final RunCleanup cleanup;
    private final LocalExecutions executions;
    private final ServerInstance instance;
    private final ServerRegistration registration;
    private final Duration lease;
    private final PartitionStore partitions;
    /** Cluster mode: only the active manager dispatches. */
    private final DispatchGate gate;
    /** Manager role: the runs driven at once (each job's thread waits for its workers); null: one at a time, inline. */
    private final ExecutorService jobs;
    private final int maxRuns;
    /** The runs this process drives on job threads now (manager role: the recovery pass leaves them alone). */
    private final Set<Long> driving = ConcurrentHashMap.newKeySet();
    /** Set by a job thread whose run an outage interrupted: the loop recovers interrupted runs. */
    private volatile boolean recoverNeeded;
    private final Object wake = new Object();
    private volatile boolean running;
    private Thread thread;
    private Thread heartbeat;
    /** Outages in a row that interrupted a run (reset when a job ends on its own); dispatcher thread only. */
    private int outages;

    public JobDispatcher(RequestStore requests, JobOperator operator, JobRepository repository, Job generateJob,
                         RunEvents events, RunLifecycle lifecycle, DatabaseWatch database, ItemStore items,
                         RunCleanup cleanup, LocalExecutions executions, ServerInstance instance,
                         ServerRegistration registration, PartitionStore partitions, Environment env,
                         ObjectProvider<DispatchGate> gate, DiffusionProperties props) {
        this.partitions = partitions;
        this.gate = gate.getIfAvailable(() -> DispatchGate.OPEN);
        boolean manager = Roles.MANAGER.equals(env.getProperty("diffusion.role"));
        this.maxRuns = manager ? props.cluster().runs() : 1;
        Duration patience = props.job().databaseWait();
        this.jobs = manager ? Executors.newFixedThreadPool(maxRuns, r -> {
            Thread t = new Thread(() -> DatabaseWatch.runPatiently(patience, r), "run");
            t.setDaemon(false);
            return t;
        }) : null;
        this.lifecycle = lifecycle;
        this.registration = registration;
        this.executions = executions;
        this.instance = instance;
        this.lease = props.job().lease();
        this.items = items;
        this.cleanup = cleanup;
        this.database = database;
        this.databaseWait = props.job().databaseWait();
        this.requests = requests;
        this.operator = operator;
        this.repository = repository;
        this.job = generateJob;
        this.events = events;
    }

    /** Tells the dispatcher that a request may be waiting (intake calls it after accepting one). */
    public void wakeUp() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    @Override
    public void start() {
        running = true;
        heartbeat = new Thread(this::heartbeat, "lease-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
        // the job runs on this thread (and its partitions on the executor's): patient connections
        thread = new Thread(() -> DatabaseWatch.runPatiently(databaseWait, this::loop), "dispatcher");
        thread.setDaemon(false);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        for (Long id : executions.ids()) { // only this process's: other replicas' jobs are theirs to stop
            try {
                operator.stop(id);
                // cluster mode: partitions no worker took yet stop now (the running ones after their micro-batch)
                int stopped = partitions.stopQueued(id);
                if (stopped > 0) {
                    LOG.info("job execution {}: {} partitions not yet taken by a worker stopped", id, stopped);
                }
            } catch (Exception e) {
                LOG.warn("cannot stop job execution {}: {}", id, e.getMessage());
            }
        }
        wakeUp();
        try {
            thread.join(120_000);
            if (jobs != null) {
                jobs.shutdown();
                jobs.awaitTermination(120, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        heartbeat.interrupt();
        try {
            // stopped cleanly: another replica may resume this one's runs now, not after the lease
            int released = requests.releaseLeases(instance.id());
            if (released > 0) {
                LOG.info("released the leases of {} runs for other replicas to resume", released);
            }
        } catch (RuntimeException e) {
            LOG.warn("leases not released (they expire within {} s): {}", lease.toSeconds(), e.getMessage());
        }
        try {
            registration.leave();
        } catch (RuntimeException e) {
            LOG.debug("server row not deleted (it counts as dead after {} s): {}", lease.toSeconds(), e.getMessage());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the Kafka consumer and the datasource, starts after them. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 100;
    }

    private void loop() {
        boolean recover = true; // first the runs that were interrupted
        long lastRecovery = System.nanoTime();
        while (running) {
            try {
                if (!gate.mayDispatch()) { // a standby manager: the active one dispatches
                    recover = true; // once active, first the runs the last active one left
                    synchronized (wake) {
                        wake.wait(IDLE_WAIT_MS);
                    }
                    continue;
                }
                // at start, after an outage, and every half lease: runs whose owner died or stopped
                if (recoverNeeded) {
                    recoverNeeded = false;
                    recover = true;
                }
                if (recover || System.nanoTime() - lastRecovery > lease.toNanos() / 2) {
                    lastRecovery = System.nanoTime();
                    // one at a time: each claim takes a run whose owner's lease ran out (or this
                    // instance's own), so a live run of another replica is never touched
                    for (String owner : requests.leaseHolders()) {
                        if (instance.isDeadLocalPredecessor(owner)) {
                            requests.releaseLeases(owner); // a process of this machine that died: no need to wait
                        }
                    }
                    Optional<RequestRow> interrupted;
                    while (running && driving.size() < maxRuns
                            && (interrupted = requests.claimInterrupted(instance.id(), lease, driving)).isPresent()) {
                        RequestRow r = interrupted.get();
                        drive(r.id(), () -> resume(r));
                    }
                    recover = driving.size() >= maxRuns; // all slots busy: look again when one frees
                }
                Optional<RequestRow> next = driving.size() < maxRuns ? requests.nextWaiting() : Optional.empty();
                if (next.isPresent()) {
                    RequestRow r = next.get();
                    if (requests.markStarted(r.id(), instance.id(), lease)) {
                        drive(r.id(), () -> resume(r));
                    }
                    continue;
                }
                synchronized (wake) {
                    wake.wait(IDLE_WAIT_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!database.report(e)) {
                    LOG.error("dispatcher: unexpected failure, going on", e);
                    pause(1_000);
                    continue;
                }
                if (database.isClosing()) {
                    return; // stopping: the run in hand resumes at the next start
                }
                // the run in hand (if any) stays 'running' with a stale execution: when the database
                // is back, the interrupted runs are recovered and restarted, that one included
                outages++;
                LOG.info("dispatcher waits for the database: {}", e.getMessage());
                database.awaitAvailable(Duration.ofDays(365), () -> running);
                // back off when the database keeps going away (1 s, 2 s, ... 60 s): no hot loop
                pause(Math.min(60_000L, 500L << Math.min(7, outages)));
                recover = true;
            }
        }
    }

    /**
     * Writes this server's row at once, then renews it and this instance's leases every third of
     * their length, while it runs.
     */
    private void heartbeat() {
        long every = Math.max(1_000, lease.toMillis() / 3);
        while (running) {
            try {
                try {
                    registration.beat();
                } catch (RuntimeException e) {
                    LOG.debug("server heartbeat not written: {}", e.getMessage()); // the database watch logs an outage
                }
                Thread.sleep(every);
                requests.renewLeases(instance.id(), lease);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.debug("leases not renewed: {}", e.getMessage()); // the database watch logs an outage
            }
        }
    }

    private void pause(long ms) {
        synchronized (wake) {
            try {
                wake.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static JobParameters params(long requestId) {
        return new JobParametersBuilder().addLong(GenerationJobConfig.REQUEST_ID, requestId).toJobParameters();
    }

    /**
     * Drives a claimed run: here, at once (server role: one run at a time), or on a job thread of
     * its own (manager role: up to {@code diffusion.cluster.runs} at once, whose partitions run on the
     * workers by priority). A job thread whose run an outage interrupted leaves it to the loop's recovery.
     */
    private void drive(long requestId, Runnable run) {
        if (jobs == null) {
            run.run();
            return;
        }
        driving.add(requestId);
        try {
            jobs.execute(() -> {
                try {
                    run.run();
                } catch (RuntimeException e) {
                    if (database.report(e)) {
                        LOG.info("run interrupted by a database outage: {}", e.getMessage());
                        recoverNeeded = true;
                    } else {
                        LOG.error("run: unexpected failure", e);
                    }
                } finally {
                    driving.remove(requestId);
                    wakeUp();
                }
            });
        } catch (RuntimeException e) { // stopping: the executor takes no more; the run resumes at the next start
            driving.remove(requestId);
            throw e;
        }
    }

    /**
     * Starts the run, or restarts its last execution. An execution left running by a process that
     * died or lost its database (STARTED, STOPPING, or UNKNOWN when Spring Batch could not save its
     * end) is first recovered: it and its unfinished steps are marked FAILED ({@link #recoverStale}),
     * so that the restart re-runs only those steps, and in the partitions only the pending items.
     * A failure that is not an outage fails this run and lets the dispatcher go on to the next.
     */
    private void resume(RequestRow r) {
        JobExecution je;
        try {
            JobExecution last = lastExecution(r.id());
            if (last == null) {
                je = operator.start(job, params(r.id()));
            } else if (last.getStatus() == BatchStatus.COMPLETED) {
                finishCompleted(r);
                return;
            } else {
                last = recoverStale(last);
                LOG.info("resuming run {} (job execution {} was {})", r.id(), last.getId(), last.getStatus());
                events.publish(r.id(), EventType.RESUMED, Map.of("previousExecution", last.getId()));
                je = operator.restart(last);
            }
            track(je, r);
        } catch (Exception e) {
            failUnlessOutage(r, e);
        }
    }

    /**
     * The run's last execution; null when it never started. A job instance left without any
     * execution (the process died, or the database went away, between the two commits with which
     * Spring Batch creates them) is deleted first, so that the run starts afresh instead of failing.
     */
    private JobExecution lastExecution(long requestId) {
        JobParameters p = params(requestId);
        JobExecution last = repository.getLastJobExecution(GenerationJobConfig.JOB, p);
        if (last == null) {
            JobInstance instance = repository.getJobInstance(GenerationJobConfig.JOB, p);
            if (instance != null && repository.getJobExecutions(instance).isEmpty()) {
                LOG.info("run {}: job instance {} has no execution; starting it afresh", requestId, instance.getId());
                repository.deleteJobInstance(instance);
            }
        }
        return last;
    }

    /**
     * A run whose job completed but whose row is still open (e.g. put back by {@code retry} after all
     * its items had failed: nothing is left for the job to make): ends it as its items say.
     */
    private void finishCompleted(RequestRow r) {
        Map<ItemStatus, Long> counts = items.countByStatus(r.id());
        long done = counts.getOrDefault(ItemStatus.DONE, 0L);
        long failed = counts.getOrDefault(ItemStatus.FAILED, 0L);
        RunStatus status = r.status() == RunStatus.CANCELLING ? RunStatus.CANCELLED
                : done == 0 && failed > 0 ? RunStatus.FAILED : RunStatus.COMPLETED;
        String why = failed > 0 ? failed + " items failed (see items.error); the job had completed, so nothing"
                + " was left to make" : null;
        lifecycle.finish(r.id(), status, why, why == null ? Map.of() : Map.of("reason", why));
    }

    /**
     * Marks an execution that no process runs any more, and its steps that were left running or
     * UNKNOWN, FAILED: what Spring Batch 6's {@link JobOperator#recover} does, extended to the
     * UNKNOWN status it leaves alone (a step whose end could not be saved because the database was
     * away is UNKNOWN, and Spring Batch refuses to restart one). The run was claimed because its
     * owner's lease ran out or was released, and this dispatcher runs one job at a time, so the
     * execution is stale.
     */
    JobExecution recoverStale(JobExecution last) {
        // cluster mode: the workers still running its partitions stop at their next micro-batch
        int taken = partitions.abandon(last.getId());
        if (taken > 0) {
            LOG.info("job execution {}: {} partitions taken back from their workers", last.getId(), taken);
        }
        boolean changed = false;
        for (StepExecution step : last.getStepExecutions()) {
            for (int attempt = 0; ; attempt++) {
                BatchStatus s = step.getStatus();
                if (!s.isRunning() && s != BatchStatus.UNKNOWN) {
                    break;
                }
                step.setStatus(BatchStatus.FAILED);
                step.setExitStatus(RECOVERED);
                if (step.getEndTime() == null) {
                    // it ended when it was last seen alive (its last chunk), not now: the time a run took
                    // must not count the downtime before this recovery
                    step.setEndTime(step.getLastUpdated() != null ? step.getLastUpdated() : LocalDateTime.now());
                }
                try {
                    repository.update(step);
                    changed = true;
                    break;
                } catch (OptimisticLockingFailureException e) {
                    // a worker saved its partition's step meanwhile (its last chunk): read it again
                    StepExecution fresh = attempt < 10 ? repository.getStepExecution(step.getId()) : null;
                    if (fresh == null) {
                        throw e;
                    }
                    step = fresh;
                }
            }
        }
        BatchStatus s = last.getStatus();
        if (s.isRunning() || s == BatchStatus.UNKNOWN || changed && s != BatchStatus.FAILED) {
            last.setStatus(BatchStatus.FAILED);
            last.setExitStatus(RECOVERED);
            if (last.getEndTime() == null) {
                last.setEndTime(LocalDateTime.now());
            }
            repository.update(last);
        }
        return last;
    }

    /**
     * After an execution returned: a failure caused by the database going away is not the run's
     * failure; it is thrown on to {@link #loop}, which waits for the database and resumes the run.
     */
    private void track(JobExecution je, RequestRow r) {
        BatchStatus status = je.getStatus();
        if (status == BatchStatus.UNKNOWN || status.isRunning()
                || status == BatchStatus.FAILED && je.getAllFailureExceptions().stream().anyMatch(DatabaseWatch::isOutage)) {
            Throwable cause = je.getAllFailureExceptions().stream().filter(DatabaseWatch::isOutage).findFirst()
                    .orElse(null);
            throw new DatabaseUnavailableException("run " + r.id() + ": job execution " + je.getId() + " ended "
                    + status + (cause == null ? "" : " because the database was unreachable"), cause);
        }
        outages = 0;
        if (status == BatchStatus.FAILED && !running
                && je.getAllFailureExceptions().stream().anyMatch(JobDispatcher::isConcurrentUpdate)) {
            // stopping: Spring Batch's stop saved the step execution while the step saved it too (seen when a
            // server stopped during summarize); not the run's failure: the restart re-runs the failed step
            LOG.info("run {}: job execution {} failed while this server stopped ({}); it resumes at the next start",
                    r.id(), je.getId(), FailureReason.of(je));
            return;
        }
        if (status == BatchStatus.FAILED) {
            String why = FailureReason.of(je);
            cleanup.sweep(r.id()); // files moved into place whose rows never committed
            lifecycle.finish(r.id(), RunStatus.FAILED, why, Map.of("reason", String.valueOf(why)));
        }
    }

    /** Whether a failure was a lost race on the job repository's optimistic lock (anywhere in its causes). */
    private static boolean isConcurrentUpdate(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof OptimisticLockingFailureException) {
                return true;
            }
        }
        return false;
    }

    private void failUnlessOutage(RequestRow r, Exception e) {
        if (DatabaseWatch.isOutage(e)) {
            throw e instanceof RuntimeException re ? re : new DatabaseUnavailableException("run " + r.id(), e);
        }
        LOG.warn("run {} failed: {}", r.id(), e.toString());
        try {
            lifecycle.finish(r.id(), RunStatus.FAILED, e.getMessage(), Map.of("reason", String.valueOf(e.getMessage())));
        } catch (RuntimeException again) {
            if (DatabaseWatch.isOutage(again)) {
                throw again;
            }
            LOG.error("run {}: its failure cannot be recorded; the dispatcher goes on", r.id(), again);
        }
    }
}
