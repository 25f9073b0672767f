package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStatus;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Cancelling a running run, and waiting runs starting in priority order, on the real services. */
class CancelAndPriorityTest {

    private final TestServer server = TestServer.get();

    private long done(long run) {
        return server.jdbc().sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'").param(run)
                .query(Long.class).single();
    }

    @Test
    void cancelStopsAfterTheBatchInFlightAndLeavesNothingHalfWritten() throws Exception {
        String id = TestServer.uniqueId("cancel");
        server.send(id, GenerationJobTest.request(id, "tiny", 40, 3, 150, 0, "cancel/" + id)
                .getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitRun(id, r -> r.status() == RunStatus.RUNNING && done(r.id()) >= 4,
                Duration.ofSeconds(120));
        assertThat(server.bean(RunLifecycle.class).cancel(run.id())).hasValue(RunStatus.CANCELLING);
        RequestRow end = server.awaitFinished(id, Duration.ofSeconds(120));

        assertThat(end.status()).isEqualTo(RunStatus.CANCELLED);
        Map<ItemStatus, Long> counts = server.bean(io.diffusionbatch.ledger.ItemStore.class).countByStatus(run.id());
        assertThat(counts.keySet()).containsOnly(ItemStatus.DONE, ItemStatus.CANCELLED);
        assertThat(counts.get(ItemStatus.DONE) + counts.get(ItemStatus.CANCELLED)).isEqualTo(120);
        assertThat(counts.get(ItemStatus.CANCELLED)).isPositive();
        long outputs = server.jdbc().sql("SELECT count(*) FROM outputs WHERE request_id = ?").param(run.id())
                .query(Long.class).single();
        assertThat(outputs).isEqualTo(counts.get(ItemStatus.DONE));
        Path dir = server.runDir(end);
        try (Stream<Path> files = Files.walk(dir)) {
            // one PNG and one sidecar per done item, nothing in staging
            assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(2 * counts.get(ItemStatus.DONE));
        }
    }

    @Test
    void waitingRunsStartInPriorityOrder() {
        String blocker = TestServer.uniqueId("blocker");
        server.send(blocker, GenerationJobTest.request(blocker, "tiny", 40, 3, 400, 0, "prio/" + blocker)
                .getBytes(StandardCharsets.UTF_8));
        RequestRow b = server.awaitRun(blocker, r -> r.status() == RunStatus.RUNNING, Duration.ofSeconds(60));
        String low = TestServer.uniqueId("low");
        String high = TestServer.uniqueId("high");
        server.send(low, GenerationJobTest.request(low, "tiny", 1, 1, 2, -5, "prio/" + low).getBytes(StandardCharsets.UTF_8));
        server.send(high, GenerationJobTest.request(high, "tiny", 1, 1, 2, 10, "prio/" + high).getBytes(StandardCharsets.UTF_8));
        server.awaitRun(low, r -> r.status() == RunStatus.ACCEPTED, Duration.ofSeconds(60));
        server.awaitRun(high, r -> r.status() == RunStatus.ACCEPTED, Duration.ofSeconds(60));
        // both wait behind the running blocker; stop it so that the dispatcher chooses between them
        server.bean(RunLifecycle.class).cancel(b.id());
        RequestRow h = server.awaitFinished(high, Duration.ofSeconds(120));
        RequestRow l = server.awaitFinished(low, Duration.ofSeconds(120));
        RequestRow end = server.awaitFinished(blocker, Duration.ofSeconds(120));
        assertThat(end.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(end.finishedAt()).isBefore(h.startedAt());
        assertThat(l.acceptedAt()).isBefore(h.acceptedAt()).isBefore(end.finishedAt());
        assertThat(h.startedAt()).as("higher priority starts first though it came second").isBefore(l.startedAt());
    }
}
