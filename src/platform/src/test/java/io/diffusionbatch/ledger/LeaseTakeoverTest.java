package io.diffusionbatch.ledger;

import io.diffusionbatch.local.LocalPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Taking over an interrupted run between replicas on different hosts, where only the lease tells a
 * live owner from a dead one: a run whose owner's lease holds is never claimed; once the lease has
 * expired (the owner died) or was released (it stopped) exactly one of the replicas that try gets
 * it, and it then holds a fresh lease. The relay's lease behaves the same way. A ledger of its own
 * (no server runs on it), so no dispatcher races the test.
 */
class LeaseTakeoverTest {

    private static LocalPostgres postgres;
    private static JdbcClient jdbc;
    private static RequestStore requests;

    @BeforeAll
    static void ledger() throws Exception {
        postgres = LocalPostgres.start(Files.createTempDirectory("diffusion-lease-"), 0);
        DriverManagerDataSource ds = new DriverManagerDataSource(postgres.jdbcUrl());
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        jdbc = JdbcClient.create(ds);
        requests = new RequestStore(jdbc);
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static long running(String owner, String leaseUntil) {
        return jdbc.sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, "
                        + "source, owner, lease_until) VALUES (gen_random_uuid()::text, 'image', 'tiny', '{}', 1, "
                        + "'running', 'x', 'test', ?, " + leaseUntil + ") RETURNING id")
                .param(owner).query(Long.class).single();
    }

    @Test
    void aLiveLeaseIsLeftAloneAnExpiredOrReleasedOneIsTakenOverOnce() throws Exception {
        long run = running("host-a:1:aaaa", "now() + interval '1 hour'");
        assertThat(requests.claimInterrupted("host-b:2:bbbb", Duration.ofSeconds(30))).as("a live owner's run")
                .isEmpty();

        jdbc.sql("UPDATE requests SET lease_until = now() - interval '1 second' WHERE id = ?").param(run).update();
        List<String> owners = List.of("host-b:2:bbbb", "host-c:3:cccc", "host-d:4:dddd", "host-e:5:eeee");
        List<Optional<RequestRow>> claims = concurrently(owners);
        assertThat(claims.stream().filter(Optional::isPresent).map(Optional::get).map(RequestRow::id))
                .as("of four replicas, one takes the expired run over").containsExactly(run);
        String newOwner = owner(run);
        assertThat(owners).contains(newOwner);
        assertThat(requests.claimInterrupted("host-f:6:ffff", Duration.ofSeconds(30))).as("the new lease holds")
                .isEmpty();
        assertThat(requests.leaseHolders()).contains(newOwner).doesNotContain("host-a:1:aaaa");

        assertThat(requests.releaseLeases(newOwner)).isEqualTo(1); // its owner stops cleanly
        assertThat(requests.claimInterrupted("host-f:6:ffff", Duration.ofSeconds(30))).map(RequestRow::id)
                .as("a released lease is taken over at once").contains(run);
        assertThat(owner(run)).isEqualTo("host-f:6:ffff");
        assertThat(requests.renewLeases("host-f:6:ffff", Duration.ofSeconds(30))).isEqualTo(1);
        assertThat(requests.renewLeases(newOwner, Duration.ofSeconds(30))).as("the old owner renews nothing").isZero();
    }

    @Test
    void oneInstanceRelaysTheOutboxAtATime() {
        EventOutbox outbox = new EventOutbox(jdbc);
        assertThat(outbox.lead("host-a:1:aaaa", Duration.ofSeconds(30))).isTrue();
        assertThat(outbox.lead("host-b:2:bbbb", Duration.ofSeconds(30))).as("the relay's lease holds").isFalse();
        assertThat(outbox.leader()).contains("host-a:1:aaaa");
        jdbc.sql("UPDATE event_relay SET lease_until = now() - interval '1 second'").update(); // host-a died
        assertThat(outbox.lead("host-b:2:bbbb", Duration.ofSeconds(30))).as("an expired lease is taken").isTrue();
        assertThat(outbox.lead("host-a:1:aaaa", Duration.ofSeconds(30))).isFalse();
        outbox.resign("host-b:2:bbbb");
        assertThat(outbox.leader()).isEmpty();
        assertThat(outbox.lead("host-a:1:aaaa", Duration.ofSeconds(30))).as("a resigned lease is taken at once").isTrue();
        outbox.resign("host-a:1:aaaa");
    }

    private static List<Optional<RequestRow>> concurrently(List<String> owners) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(owners.size());
        try {
            List<Future<Optional<RequestRow>>> futures = new ArrayList<>();
            for (String o : owners) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return requests.claimInterrupted(o, Duration.ofSeconds(30));
                }));
            }
            go.countDown();
            List<Optional<RequestRow>> out = new ArrayList<>();
            for (Future<Optional<RequestRow>> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String owner(long run) {
        return jdbc.sql("SELECT owner FROM requests WHERE id = ?").param(run).query(String.class).single();
    }
}
