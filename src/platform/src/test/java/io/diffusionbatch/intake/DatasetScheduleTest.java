package io.diffusionbatch.intake;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.ledger.DatasetStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.request.RequestLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schedule of dataset specs against a real server (embedded Kafka and PostgreSQL): a firing sends the night
 * through Kafka and the run is made; a night already in the ledger is not sent again; of two servers only the one
 * that claims a night sends it; at start, a missed night (policy latest) is sent once.
 */
class DatasetScheduleTest {

    private final TestServer server = TestServer.get();

    @TempDir
    Path specs;

    private DatasetSchedule schedule(String name, Clock clock) {
        ModelRegistry models = server.bean(ModelRegistry.class);
        DatasetSpecParser parser = new DatasetSpecParser(models, m -> models.evaluator(m).isPresent(),
                server.bean(RequestLimits.class));
        return new DatasetSchedule(server.props(), server.bean(DatasetStore.class), parser, name, specs, clock);
    }

    private Path spec(String name, String missed) throws Exception {
        Path file = specs.resolve(name + ".yaml");
        Files.writeString(file, """
                name: %s
                model: tiny
                templates: ["a red circle", "a blue square"]
                seeds: {count: 2, base: 5}
                params: {steps: 2, guidance: 1.0}
                schedule: {cron: "30 2 * * *", zone: Europe/Paris, missed: %s}
                """.formatted(name, missed), StandardCharsets.UTF_8);
        return file;
    }

    private DatasetSpec parsed(Path file) throws Exception {
        ModelRegistry models = server.bean(ModelRegistry.class);
        return DatasetNights.read(file, new DatasetSpecParser(models, m -> false, server.bean(RequestLimits.class)));
    }

    @Test
    void aFiringSendsTheNightOnceAndTheRunIsMade() throws Exception {
        String name = "sched-" + Long.toString(System.nanoTime(), 36);
        Path file = spec(name, "skip");
        LocalDate night = LocalDate.of(2026, 3, 1);
        DatasetSchedule a = schedule("server-a", Clock.systemUTC());
        a.fire(file, night);
        String id = parsed(file).requestId(night);
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(run.itemCount()).isEqualTo(4);

        // again, on this server and on another: the ledger has the night, nothing is sent
        a.fire(file, night);
        schedule("server-b", Clock.systemUTC()).fire(file, night);
        Thread.sleep(1500);
        assertThat(server.jdbc().sql("SELECT count(*) FROM rejected_inputs WHERE client_request_id = ?").param(id)
                .query(Long.class).single()).as("no duplicate reached intake").isZero();
        assertThat(server.jdbc().sql("SELECT count(*) FROM requests WHERE client_request_id = ?").param(id)
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void onlyTheServerThatClaimsANightSendsIt() throws Exception {
        String name = "claim-" + Long.toString(System.nanoTime(), 36);
        Path file = spec(name, "skip");
        LocalDate night = LocalDate.of(2026, 3, 2);
        String id = parsed(file).requestId(night);
        DatasetStore store = server.bean(DatasetStore.class);
        assertThat(store.claimFiring(name + ":" + night, "server-b")).isTrue(); // b won the race, has not sent yet
        schedule("server-a", Clock.systemUTC()).fire(file, night);
        Thread.sleep(3000);
        assertThat(server.bean(RequestStore.class).findByClientId(id)).as("a left the night to b").isEmpty();
        assertThat(store.claimFiring(name + ":" + night, "server-c")).isFalse();
        store.releaseFiring(name + ":" + night); // b's send failed
        schedule("server-a", Clock.systemUTC()).fire(file, night);
        assertThat(server.awaitFinished(id, Duration.ofSeconds(120)).status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void atStartAMissedNightIsSentOnceWithPolicyLatestAndNotWithSkip() throws Exception {
        String latest = "late-" + Long.toString(System.nanoTime(), 36);
        String skip = "skip-" + Long.toString(System.nanoTime(), 36);
        Path l = spec(latest, "latest");
        Path s = spec(skip, "skip");
        // 10:00 in Paris on 2026-03-05: the 02:30 firing of that day has passed
        Clock clock = Clock.fixed(Instant.parse("2026-03-05T09:00:00Z"), ZoneId.of("UTC"));
        DatasetSchedule schedule = schedule("server-a", clock);
        schedule.start();
        try {
            assertThat(schedule.isRunning()).isTrue();
            RequestRow run = server.awaitFinished(parsed(l).requestId(LocalDate.of(2026, 3, 5)), Duration.ofSeconds(120));
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            Thread.sleep(1000);
            assertThat(server.bean(DatasetStore.class).nightRequested(skip, LocalDate.of(2026, 3, 5))).isFalse();
        } finally {
            schedule.stop();
        }
        assertThat(schedule.isRunning()).isFalse();
    }

    @Test
    void thePreviousFiringIsTheLatestAtOrBeforeNowInTheSpecsZone() throws Exception {
        DatasetSpec spec = parsed(spec("prev", "latest"));
        ZoneId paris = ZoneId.of("Europe/Paris");
        assertThat(DatasetSchedule.previous(spec, ZonedDateTime.of(2026, 3, 5, 10, 0, 0, 0, paris)))
                .isEqualTo(ZonedDateTime.of(2026, 3, 5, 2, 30, 0, 0, paris));
        assertThat(DatasetSchedule.previous(spec, ZonedDateTime.of(2026, 3, 5, 2, 29, 0, 0, paris)))
                .isEqualTo(ZonedDateTime.of(2026, 3, 4, 2, 30, 0, 0, paris));
        assertThat(DatasetSchedule.previous(spec, ZonedDateTime.of(2026, 3, 5, 2, 30, 0, 0, paris)))
                .isEqualTo(ZonedDateTime.of(2026, 3, 5, 2, 30, 0, 0, paris));
        assertThat(DatasetSchedule.night(spec, ZonedDateTime.of(2026, 3, 6, 0, 5, 0, 0, paris)))
                .as("a firing run late, past midnight, is still the night of its time").isEqualTo(LocalDate.of(2026, 3, 5));
        assertThat(DatasetSchedule.night(spec, ZonedDateTime.of(2026, 3, 5, 2, 30, 0, 0, paris).minusNanos(1_000_000)))
                .as("a firing a millisecond early").isEqualTo(LocalDate.of(2026, 3, 5));
        assertThat(DatasetSchedule.next(spec, ZonedDateTime.of(2026, 3, 5, 10, 0, 0, 0, paris)))
                .isEqualTo(ZonedDateTime.of(2026, 3, 6, 2, 30, 0, 0, paris));
    }
}
