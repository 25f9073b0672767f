package io.diffusionbatch.ledger;

import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The partition queue and its leases on the real PostgreSQL, against real Spring Batch step
 * execution rows: claims by priority under a run's cap, the step-status fence against a
 * redelivered request, VERSION raised by every change a manager or a stopping worker makes,
 * re-queue and failure of lost partitions, and the item fence of a partition's holder.
 */
class PartitionStoreTest {

    private final TestServer server = TestServer.get();
    private final JdbcClient jdbc = server.jdbc();
    private final PartitionStore store = server.bean(PartitionStore.class);

    /** A running run held by another instance (the test server's dispatcher leaves it alone). */
    private long run(int priority) {
        return jdbc.sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, priority, status, "
                        + "output_dir, source, owner, lease_until) VALUES (?, 'image', 'tiny', '{}', 0, ?, 'running', "
                        + "'x', 'test', 'elsewhere:1:manager', now() + interval '1 day') RETURNING id")
                .params(TestServer.uniqueId("parts"), priority).query(Long.class).single();
    }

    /** A job execution with {@code n} STARTING partition step executions; their ids. */
    private List<Long> steps(long run, int n) {
        long instance = jdbc.sql("INSERT INTO batch_job_instance (job_instance_id, version, job_name, job_key) VALUES "
                        + "(nextval('batch_job_instance_seq'), 0, 'generate', ?) RETURNING job_instance_id")
                .param(TestServer.uniqueId("key")).query(Long.class).single();
        long execution = jdbc.sql("INSERT INTO batch_job_execution (job_execution_id, version, job_instance_id, "
                        + "create_time, status) VALUES (nextval('batch_job_execution_seq'), 0, ?, localtimestamp, "
                        + "'STARTED') RETURNING job_execution_id")
                .param(instance).query(Long.class).single();
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = jdbc.sql("INSERT INTO batch_step_execution (step_execution_id, version, step_name, "
                            + "job_execution_id, create_time, status) VALUES (nextval('batch_step_execution_seq'), 0, "
                            + "?, ?, localtimestamp, 'STARTING') RETURNING step_execution_id")
                    .params("generatePartition:partition" + i, execution).query(Long.class).single();
            ids.add(id);
        }
        return ids;
    }

    private void queue(long run, List<Long> ids, int priority, Integer cap) {
        List<PartitionStore.Queued> q = new ArrayList<>();
        long execution = jdbc.sql("SELECT job_execution_id FROM batch_step_execution WHERE step_execution_id = ?")
                .param(ids.get(0)).query(Long.class).single();
        for (int i = 0; i < ids.size(); i++) {
            q.add(new PartitionStore.Queued(ids.get(i), run, execution, "generatePartition:partition" + i, priority, cap));
        }
        store.queue(q);
        store.queue(q); // queued twice (a restarted manager): nothing changes
    }

    private String status(long step) {
        return jdbc.sql("SELECT status FROM batch_step_execution WHERE step_execution_id = ?").param(step)
                .query(String.class).single();
    }

    private long version(long step) {
        return jdbc.sql("SELECT version FROM batch_step_execution WHERE step_execution_id = ?").param(step)
                .query(Long.class).single();
    }

    private void setStatus(long step, String status) {
        jdbc.sql("UPDATE batch_step_execution SET status = ? WHERE step_execution_id = ?").params(status, step).update();
    }

    /** Claims until this test's partitions are all claimed or nothing is claimable; only this test's claims kept. */
    private Optional<PartitionStore.Claim> claim(String worker, List<Long> mine) {
        for (int i = 0; i < 50; i++) {
            Optional<PartitionStore.Claim> c = store.claim(worker, Duration.ofMinutes(5), null);
            if (c.isEmpty() || mine.contains(c.get().stepExecutionId())) {
                return c;
            }
            // another test's partition: not ours to hold
            store.finish(c.get().stepExecutionId(), worker, "completed");
        }
        throw new AssertionError("too many foreign partitions");
    }

    @Test
    void workersTakeTheHighestPriorityFirstAndAPartitionOnce() {
        long low = run(0);
        long high = run(500);
        List<Long> lowSteps = steps(low, 2);
        List<Long> highSteps = steps(high, 2);
        queue(low, lowSteps, 0, null);
        queue(high, highSteps, 500, null);
        List<Long> all = new ArrayList<>(lowSteps);
        all.addAll(highSteps);

        List<Long> order = new ArrayList<>();
        Optional<PartitionStore.Claim> c;
        while ((c = claim("w1:1:a", all)).isPresent()) {
            order.add(c.get().stepExecutionId());
            assertThat(c.get().attempt()).isEqualTo(1);
        }
        assertThat(order).as("the urgent run's partitions first, then in queue order")
                .containsExactly(highSteps.get(0), highSteps.get(1), lowSteps.get(0), lowSteps.get(1));
        assertThat(store.claim("w2:1:b", Duration.ofMinutes(5), highSteps.get(0)))
                .as("a request delivered again finds its partition taken").isEmpty();
        assertThat(jdbc.sql("SELECT count(*) FROM partition_attempts WHERE step_execution_id IN (?, ?, ?, ?)")
                .params(all.toArray()).query(Long.class).single()).isEqualTo(4);
    }

    @Test
    void aPartitionWhoseStepIsNoLongerStartingIsNeverClaimed() {
        long r = run(999);
        List<Long> ids = steps(r, 1);
        queue(r, ids, 999, null);
        setStatus(ids.get(0), "COMPLETED"); // it ran already (e.g. the row was put back by mistake)
        assertThat(claim("w1:1:a", ids)).isEmpty();
        setStatus(ids.get(0), "STARTING");
        assertThat(claim("w1:1:a", ids)).isPresent();
    }

    @Test
    void aRunsCapLimitsItsPartitionsRunningAtOnce() {
        long r = run(998);
        List<Long> ids = steps(r, 3);
        queue(r, ids, 998, 1);
        PartitionStore.Claim first = claim("w1:1:a", ids).orElseThrow();
        assertThat(claim("w2:1:b", ids)).as("the cap of 1 is reached").isEmpty();
        assertThat(store.finish(first.stepExecutionId(), "w1:1:a", "completed")).isTrue();
        assertThat(claim("w2:1:b", ids)).as("one finished: the next may run").isPresent();
    }

    @Test
    void aLostPartitionIsQueuedAgainThenFailsAfterMaxAttempts() throws Exception {
        long r = run(997);
        List<Long> ids = steps(r, 1);
        long step = ids.get(0);
        queue(r, ids, 997, null);
        assertThat(store.claim("dead:1:a", Duration.ofMillis(300), step)).isPresent();
        setStatus(step, "STARTED");
        assertThat(store.requeueLost(step, 2, "why").outcome()).as("the lease has not run out yet")
                .isEqualTo(PartitionStore.Lost.NONE);
        Thread.sleep(500);
        assertThat(store.expired()).contains(step);
        long before = version(step);
        PartitionStore.LostPartition lost = store.requeueLost(step, 2, "why");
        assertThat(lost.outcome()).isEqualTo(PartitionStore.Lost.REQUEUED);
        assertThat(lost.worker()).isEqualTo("dead:1:a");
        assertThat(lost.requestId()).isEqualTo(r);
        assertThat(status(step)).isEqualTo("STARTING");
        assertThat(version(step)).as("the dead worker can no longer save the step").isGreaterThan(before);
        assertThat(store.holds(step, "dead:1:a")).isFalse();

        assertThat(store.claim("dead2:1:b", Duration.ofMillis(300), step).orElseThrow().attempt()).isEqualTo(2);
        setStatus(step, "STARTED");
        Thread.sleep(500);
        assertThat(store.requeueLost(step, 2, "lost twice").outcome()).isEqualTo(PartitionStore.Lost.FAILED);
        assertThat(status(step)).isEqualTo("FAILED");
        assertThat(jdbc.sql("SELECT exit_message FROM batch_step_execution WHERE step_execution_id = ?").param(step)
                .query(String.class).single()).isEqualTo("lost twice");
        assertThat(store.attempts(r)).extracting(PartitionStore.Attempt::worker, PartitionStore.Attempt::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("dead:1:a", "lost"),
                        org.assertj.core.groups.Tuple.tuple("dead2:1:b", "lost"));
    }

    @Test
    void aStoppingWorkerGivesItsPartitionBackAndOnlyTheHolderCanFinishIt() {
        long r = run(996);
        List<Long> ids = steps(r, 1);
        long step = ids.get(0);
        queue(r, ids, 996, null);
        assertThat(claim("w1:1:a", ids)).isPresent();
        setStatus(step, "STARTED");
        assertThat(store.finish(step, "other:1:x", "completed")).as("not the holder").isFalse();
        long before = version(step);
        assertThat(store.release(step, "w1:1:a")).isTrue();
        assertThat(status(step)).isEqualTo("STARTING");
        assertThat(version(step)).isGreaterThan(before);
        assertThat(store.release(step, "w1:1:a")).as("released once").isFalse();
        assertThat(claim("w2:1:b", ids).orElseThrow().attempt()).isEqualTo(2);
        assertThat(store.attempts(r)).extracting(PartitionStore.Attempt::outcome).containsExactly("released", null);
    }

    @Test
    void aStoppingManagerStopsThePartitionsNoWorkerTookAndLeavesTheRunningOnes() {
        long r = run(994);
        List<Long> ids = steps(r, 3);
        queue(r, ids, 994, null);
        PartitionStore.Claim running = claim("w1:1:a", ids).orElseThrow();
        setStatus(running.stepExecutionId(), "STARTED");
        long job = running.jobExecutionId();
        assertThat(store.stopQueued(job)).isEqualTo(2);
        for (long id : ids) {
            assertThat(status(id)).isEqualTo(id == running.stepExecutionId() ? "STARTED" : "STOPPED");
        }
        assertThat(claim("w2:1:b", ids)).as("nothing left to take").isEmpty();
        assertThat(store.holds(running.stepExecutionId(), "w1:1:a")).as("the running one goes on").isTrue();
        assertThat(store.stopQueued(job)).isZero();
    }

    @Test
    void anAttemptsItemsAreThoseItsProcessMadeAsItemsWorkerNamesIt() {
        assertThat(PartitionAudit.process("pod-7:1234:ab12cd34")).isEqualTo("pod-7:1234");
        assertThat(PartitionAudit.process("vm:99")).isEqualTo("vm:99");
    }

    @Test
    void onlyThePartitionsHolderGetsItsItems() {
        long r = run(995);
        long prompt = jdbc.sql("INSERT INTO prompts (text) VALUES ('p') RETURNING id").query(Long.class).single();
        jdbc.sql("INSERT INTO items (request_id, idx, prompt_id, seed) VALUES (?, 0, ?, 1), (?, 1, ?, 2)")
                .params(r, prompt, r, prompt).update();
        List<Long> ids = steps(r, 1);
        long step = ids.get(0);
        queue(r, ids, 995, null);
        ItemStore items = server.bean(ItemStore.class);
        assertThat(items.nextBatch(r, 0, 2, 1, "w1:1:a", step).items()).as("queued, held by nobody").isEmpty();
        assertThat(claim("w1:1:a", ids)).isPresent();
        assertThat(items.nextBatch(r, 0, 2, 1, "w2:1:b", step).items()).as("not the holder").isEmpty();
        assertThat(items.nextBatch(r, 0, 2, 1, "w1:1:a", step).items()).hasSize(1);
        assertThat(items.nextBatch(r, 0, 2, 5, "elsewhere:1:manager", -1).items())
                .as("the run's owner (local mode) still gets them").hasSize(2);
    }
}
