package io.diffusionbatch.ledger;

import io.diffusionbatch.engine.ItemCounters;
import io.diffusionbatch.engine.ModelCost;
import io.diffusionbatch.job.GenerationJobTest;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The per-run counters (migration V5) against the truth, a count of the items themselves, after
 * every kind of write the platform makes: expansion, a restarted expansion, completion by
 * partitions committing at the same time, a partition re-recording items it had made, failures,
 * a rolled-back batch, cancellation, and a whole run through the real job.
 */
class RunCountersTest {

    private final TestServer server = TestServer.get();
    private final ItemStore items = server.bean(ItemStore.class);
    private final ResultStore results = server.bean(ResultStore.class);
    private final DashboardStore dashboard = server.bean(DashboardStore.class);

    private long newRequest(long itemCount) {
        // a request row that no worker runs: stored as finished, never waiting
        return server.jdbc().sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, "
                        + "source) VALUES (?, 'image', 'tiny', '{}', ?, 'completed', '/tmp/x', 'test') RETURNING id")
                .params(TestServer.uniqueId("counters"), itemCount).query(Long.class).single();
    }

    /** Items by status, counted over the items. */
    private Map<ItemStatus, Long> truth(long run) {
        Map<ItemStatus, Long> m = new EnumMap<>(ItemStatus.class);
        server.jdbc().sql("SELECT status, count(*) FROM items WHERE request_id = ? GROUP BY status").param(run)
                .query(rs -> {
                    m.put(ItemStatus.of(rs.getString(1)), rs.getLong(2));
                });
        return m;
    }

    /** Every reader of the counters agrees with the items; returns the counts. */
    private Map<ItemStatus, Long> assertCountersTrue(long run, String after) {
        Map<ItemStatus, Long> truth = truth(run);
        assertThat(items.countByStatus(run)).as("counts by status after " + after).isEqualTo(truth);
        assertThat(items.count(run)).as("items after " + after)
                .isEqualTo(truth.values().stream().mapToLong(Long::longValue).sum());
        RunSummary s = dashboard.run(run).orElseThrow();
        assertThat(new long[]{s.done(), s.failed(), s.cancelled()}).as("dashboard progress after " + after)
                .containsExactly(truth.getOrDefault(ItemStatus.DONE, 0L), truth.getOrDefault(ItemStatus.FAILED, 0L),
                        truth.getOrDefault(ItemStatus.CANCELLED, 0L));
        assertThat(dashboard.latestRuns(200)).filteredOn(r -> r.id() == run).containsExactly(s);
        return truth;
    }

    private static ItemResult result(long run, long index, String worker) {
        ModelCost cost = new ModelCost(1, 2, 3, 4, 5, 6, 7, 0);
        ItemCounters c = new ItemCounters(6, 3, 8, 0.001, 0.002, 0.1, 0.01, 0.003, "cpu", "CPUExecutionProvider", 2, cost);
        return new ItemResult(run, index, index + ".png", "0".repeat(64), "image/png", 100, "f".repeat(64), "euler", 2.0,
                (int) (index % 8), "partition" + worker, worker, c, null, null, "Test CPU");
    }

    @Test
    void countersEqualTheItemsAfterEveryKindOfWrite() throws Exception {
        long run = newRequest(1000);
        assertThat(items.count(run)).isZero();
        assertThat(items.countByStatus(run)).isEmpty();
        assertThat(dashboard.run(run).orElseThrow().done()).isZero();

        List<NewItem> list = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            list.add(new NewItem(i, "counted prompt " + (i % 10), null, i, null));
        }
        assertThat(items.expand(run, list::iterator)).isEqualTo(1000);
        assertThat(assertCountersTrue(run, "expand")).containsExactly(Map.entry(ItemStatus.PENDING, 1000L));
        assertThat(items.expand(run, list::iterator)).isZero();
        assertCountersTrue(run, "a restarted expand");

        // four partitions commit micro-batches of 8 at the same time, as the workers do
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> partitions = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                long from = p * 100L;
                String worker = "w" + p;
                partitions.add(pool.submit(() -> {
                    for (long b = from; b < from + 96; b += 8) {
                        results.record(LongStream.range(b, b + 8).mapToObj(i -> result(run, i, worker)).toList());
                    }
                }));
            }
            for (Future<?> f : partitions) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(assertCountersTrue(run, "concurrent partitions")).containsEntry(ItemStatus.DONE, 384L);

        // a restarted partition makes and records items that were done already: no double count
        results.record(LongStream.range(0, 16).mapToObj(i -> result(run, i, "again")).toList());
        assertThat(assertCountersTrue(run, "re-recorded items")).containsEntry(ItemStatus.DONE, 384L);

        // a batch whose transaction rolls back (the process died before its commit) counts nothing
        TransactionTemplate tx = server.bean(TransactionTemplate.class);
        assertThatThrownBy(() -> tx.executeWithoutResult(st -> {
            results.record(LongStream.range(500, 508).mapToObj(i -> result(run, i, "dies")).toList());
            throw new IllegalStateException("killed before commit");
        })).hasMessage("killed before commit");
        assertThat(assertCountersTrue(run, "a rolled-back batch")).containsEntry(ItemStatus.DONE, 384L);

        for (long i = 600; i < 605; i++) {
            items.markFailed(run, i, "w9", "engine said no");
        }
        items.markFailed(run, 0, "w9", "an item already done stays done");
        assertThat(assertCountersTrue(run, "failures")).containsEntry(ItemStatus.FAILED, 5L);

        assertThat(items.cancelPending(run)).isEqualTo(1000 - 384 - 5);
        assertThat(assertCountersTrue(run, "cancel")).containsExactly(Map.entry(ItemStatus.DONE, 384L),
                Map.entry(ItemStatus.FAILED, 5L), Map.entry(ItemStatus.CANCELLED, 611L));
    }

    @Test
    void aRunThroughTheJobIsCountedAsItsItems() {
        String id = TestServer.uniqueId("counted");
        server.send(id, GenerationJobTest.request(id, "tiny", 3, 2, 2, 0, "counters/" + id).getBytes(StandardCharsets.UTF_8));
        RequestRow end = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(end.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(assertCountersTrue(end.id(), "a completed run")).containsExactly(Map.entry(ItemStatus.DONE, 6L));
    }

    @Test
    void pendingOfLiveRunsComesFromTheCounters() {
        long run = newRequest(7);
        List<NewItem> list = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            list.add(new NewItem(i, "live prompt", null, i, null));
        }
        items.expand(run, list::iterator);
        long before = items.countPendingOfLiveRuns();
        // a run that is being stopped is live; nothing runs it here, so nothing else changes its items
        server.jdbc().sql("UPDATE requests SET status = 'cancelling' WHERE id = ?").param(run).update();
        try {
            assertThat(items.countPendingOfLiveRuns() - before).isEqualTo(7);
        } finally {
            server.jdbc().sql("UPDATE requests SET status = 'completed' WHERE id = ?").param(run).update();
        }
    }
}
