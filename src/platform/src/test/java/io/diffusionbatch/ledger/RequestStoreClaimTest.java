package io.diffusionbatch.ledger;

import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Claiming a waiting run is atomic: of several dispatchers (replicas) that saw it waiting, one gets it. */
class RequestStoreClaimTest {

    private final TestServer server = TestServer.get();

    @Test
    void ofEightConcurrentClaimsAtMostOneWins() throws Exception {
        RequestStore store = server.bean(RequestStore.class);
        for (int round = 0; round < 5; round++) {
            // a waiting run (the test server's own dispatcher may claim it too, then fails it: its spec is empty)
            long id = server.jdbc().sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, "
                            + "output_dir, source) VALUES (?, 'image', 'tiny', '{}', 0, 'accepted', '/tmp/x', 'test') RETURNING id")
                    .param(TestServer.uniqueId("claim")).query(Long.class).single();
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Boolean>> claims = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    claims.add(pool.submit(() -> {
                        go.await();
                        return store.markStarted(id, "claimer", java.time.Duration.ofSeconds(30));
                    }));
                }
                go.countDown();
                int wins = 0;
                for (Future<Boolean> f : claims) {
                    wins += f.get() ? 1 : 0;
                }
                assertThat(wins).as("claims of run %d that succeeded", id).isLessThanOrEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
