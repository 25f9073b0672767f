package io.diffusionbatch.intake;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.InvalidSpecException;
import io.diffusionbatch.job.ServerInstance;
import io.diffusionbatch.ledger.DatasetStore;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.scheduling.support.CronTrigger;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs the dataset specs' schedules in {@code serve} and the manager (Spring scheduling, one cron trigger per spec
 * with a {@code schedule}). At each firing the spec file is read again (so an edited spec takes effect the next
 * night; an edited cron at the next start) and the night (the firing time's date in the spec's zone) is sent through
 * Kafka like {@code dataset run} does.
 *
 * <p>Policy for missed nights: at start, a spec with {@code missed: latest} whose latest firing time has passed
 * without its night in the ledger (the server was down then) runs that night once, the latest only; {@code skip}
 * waits for the next firing. A night already in the ledger (any version of the spec) is never sent again, and of
 * several servers (serve replicas, managers) only the first to claim a night sends it ({@code dataset_firings}).
 * A failed send releases nothing to retry by itself: the error is logged and {@code dataset run NAME --date D}
 * sends the night. Thread-safe.
 */
@Component
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER})
public class DatasetSchedule implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DatasetSchedule.class);

    private final DiffusionProperties props;
    private final DatasetStore store;
    private final DatasetSpecParser parser;
    private final String server;
    private final Path dir;
    private final Clock clock;
    private @Nullable ThreadPoolTaskScheduler scheduler;

    @Autowired
    public DatasetSchedule(DiffusionProperties props, DatasetStore store, DatasetSpecParser parser,
                           ServerInstance instance, Environment env) {
        this(props, store, parser, instance.id(),
                props.datasets().resolvedDir(env.getProperty("diffusion.home")), Clock.systemUTC());
    }

    DatasetSchedule(DiffusionProperties props, DatasetStore store, DatasetSpecParser parser, String server, Path dir,
                    Clock clock) {
        this.props = props;
        this.store = store;
        this.parser = parser;
        this.server = server;
        this.dir = dir;
        this.clock = clock;
    }

    /** The scheduled specs in the folder, by file, each with its spec; unreadable specs are logged and left out. */
    Map<Path, DatasetSpec> scheduled() {
        Map<Path, DatasetSpec> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
            for (Path f : files) {
                try {
                    DatasetSpec spec = DatasetNights.read(f, parser);
                    if (spec.schedule() != null) {
                        out.put(f, spec);
                    }
                } catch (InvalidSpecException e) {
                    LOG.error("dataset spec {} is not scheduled, it breaks the rules: {}", f, e.getMessage());
                } catch (IOException e) {
                    LOG.error("dataset spec {} is not scheduled, it cannot be read: {}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.error("dataset specs in {} cannot be listed: {}", dir, e.getMessage());
        }
        return out;
    }

    @Override
    public synchronized void start() {
        if (!props.datasets().schedule()) {
            return;
        }
        Map<Path, DatasetSpec> specs = scheduled();
        if (specs.isEmpty()) {
            LOG.info("no scheduled dataset specs in {}", dir);
            return;
        }
        ThreadPoolTaskScheduler s = new ThreadPoolTaskScheduler();
        s.setThreadNamePrefix("dataset-schedule-");
        s.setPoolSize(1);
        s.setWaitForTasksToCompleteOnShutdown(false);
        s.initialize();
        scheduler = s;
        specs.forEach((file, spec) -> {
            ZoneId zone = ZoneId.of(spec.schedule().zone());
            CronTrigger trigger = new CronTrigger(DatasetSpecParser.springCron(spec.schedule().cron()).toString(), zone);
            // the night is the date of the firing time, not of when the task got to run (late past midnight)
            s.schedule(() -> fire(file, night(spec, ZonedDateTime.now(clock.withZone(zone)))), trigger);
            LOG.info("dataset {}: scheduled '{}' ({}), next at {}", spec.name(), spec.schedule().cron(), zone,
                    next(spec, ZonedDateTime.now(clock.withZone(zone))));
            if (DatasetSpec.Schedule.LATEST.equals(spec.schedule().missed())) {
                ZonedDateTime last = previous(spec, ZonedDateTime.now(clock.withZone(zone)));
                if (last != null) {
                    s.execute(() -> catchUp(file, last.toLocalDate()));
                }
            }
        });
    }

    /** The night of the latest firing, if that night is not in the ledger yet (policy latest). */
    void catchUp(Path file, LocalDate night) {
        try {
            DatasetSpec spec = DatasetNights.read(file, parser);
            if (!store.nightRequested(spec.name(), night)) {
                LOG.info("dataset {}: night {} was missed (its time passed while no server ran); running it now",
                        spec.name(), night);
                send(spec, night);
            }
        } catch (IOException | InvalidSpecException | RuntimeException e) {
            LOG.error("dataset spec {}: missed night {} not sent: {}", file, night, e.getMessage());
        }
    }

    /** One firing: reads the spec again and sends the night unless it is in the ledger or another server sent it. */
    void fire(Path file, LocalDate night) {
        try {
            DatasetSpec spec = DatasetNights.read(file, parser);
            if (store.nightRequested(spec.name(), night)) {
                LOG.info("dataset {}: night {} is already in the ledger; not sent again", spec.name(), night);
                return;
            }
            send(spec, night);
        } catch (IOException | InvalidSpecException | RuntimeException e) {
            LOG.error("dataset spec {}: night {} not sent: {}; send it with 'dataset run {} --date {}'", file, night,
                    e.getMessage(), file, night);
        }
    }

    /** Sends the night unless another server claimed it; a failed send gives the claim back. */
    private void send(DatasetSpec spec, LocalDate night) throws IOException {
        String claim = spec.name() + ":" + night; // any version of the spec: one night is sent once
        if (!store.claimFiring(claim, server)) {
            LOG.info("dataset {}: night {} was sent by another server", spec.name(), night);
            return;
        }
        try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "dataset-schedule")) {
            DatasetNights.send(producer, props.kafka().requestsTopic(), spec, night);
        } catch (IOException | RuntimeException e) {
            store.releaseFiring(claim);
            throw e;
        }
        LOG.info("dataset {}: night {} sent as {}", spec.name(), night, spec.requestId(night));
    }

    /** The night of the firing at or just before {@code now} (the date of its time in the spec's zone). */
    static LocalDate night(DatasetSpec spec, ZonedDateTime now) {
        ZonedDateTime fired = previous(spec, now.plusSeconds(1));
        return (fired == null ? now : fired).toLocalDate();
    }

    static @Nullable ZonedDateTime next(DatasetSpec spec, ZonedDateTime after) {
        return DatasetSpecParser.springCron(spec.schedule().cron()).next(after);
    }

    /** The latest firing time at or before {@code now} within the last 400 days; null when none. */
    static @Nullable ZonedDateTime previous(DatasetSpec spec, ZonedDateTime now) {
        CronExpression cron = DatasetSpecParser.springCron(spec.schedule().cron());
        // walk back in growing windows until one holds a firing, then forward to the last firing in it
        for (long days = 1; days <= 400; days = days == 400 ? 401 : Math.min(days * 2, 400)) {
            ZonedDateTime t = cron.next(now.minusDays(days));
            if (t == null || t.isAfter(now)) {
                continue;
            }
            ZonedDateTime last = t;
            for (ZonedDateTime n = cron.next(t); n != null && !n.isAfter(now); n = cron.next(n)) {
                last = n;
            }
            return last;
        }
        return null;
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdown();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }
}
