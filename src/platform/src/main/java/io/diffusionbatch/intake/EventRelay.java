package io.diffusionbatch.intake;

import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.job.ServerInstance;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.DependsOn;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes the {@link EventOutbox} to Kafka: one thread that, while this instance holds the
 * relay's lease ({@code diffusion.job.lease}, renewed every third of it, also while it waits for the
 * broker), sends the oldest records in id order, waits for the broker's acknowledgements and
 * deletes the acknowledged rows. Records written by this process are sent as soon as their
 * transaction commits; others' within {@value #POLL_MS} ms.
 * <p>
 * While the broker is away nothing is lost and nothing else waits: records stay in the outbox (the
 * relay logs one line when it goes away and one when it is back, with how many records waited) and
 * are sent again when a send fails or the producer gives up ({@code delivery.timeout.ms}). A record
 * can therefore reach the topic more than once, always with the same {@code eventId}. On stop the
 * relay sends what it can within {@value #DRAIN_MS} ms and releases its lease, so another replica
 * takes over at once. Thread-safe lifecycle; the loop is its own.
 */
@Component
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER})
@DependsOn("startupChecks") // takes the relay's lease only once the broker and the topics answered
public class EventRelay implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);
    static final long POLL_MS = 200;
    static final long DRAIN_MS = 5_000;
    private static final int BATCH = 500;
    /** At most this many bytes of values a batch (but always one record). */
    private static final long BATCH_BYTES = 32L << 20;
    static final long MAX_BLOCK_MS = 10_000;

    private final EventOutbox outbox;
    private final DatabaseWatch database;
    private final DiffusionProperties.Kafka kafka;
    private final String owner;
    private final Duration lease;
    private volatile boolean running;
    private volatile boolean draining;
    private Thread thread;
    private boolean leading;
    private boolean brokerAway;
    private long seen;

    public EventRelay(EventOutbox outbox, DatabaseWatch database, DiffusionProperties props, ServerInstance instance) {
        this.outbox = outbox;
        this.database = database;
        this.kafka = props.kafka();
        this.owner = instance.id();
        this.lease = props.job().lease();
    }

    /**
     * Makes the producer here, so that a producer setting Kafka refuses fails the start, and starts
     * the relay's thread.
     */
    @Override
    public synchronized void start() {
        // a send waits for the topic's metadata for at most a third of the lease (unless configured), so the
        // relay renews its lease in time while the broker is away
        Map<String, Object> defaults = Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG,
                (int) Math.min(MAX_BLOCK_MS, Math.max(100, lease.toMillis() / 3)));
        KafkaProducer<String, byte[]> producer = KafkaClients.producer(kafka, "events", defaults);
        running = true;
        thread = new Thread(() -> loop(producer), "event-relay");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(KafkaProducer<String, byte[]> producer) {
        try {
            while (running) {
                try {
                    if (!lead()) {
                        if (draining) {
                            return;
                        }
                        sleep(Math.min(lease.toMillis() / 3, 1_000));
                        continue;
                    }
                    List<EventOutbox.Entry> batch = outbox.oldest(BATCH, BATCH_BYTES);
                    if (batch.isEmpty()) {
                        if (draining) {
                            return;
                        }
                        seen = outbox.awaitAdded(seen, Duration.ofMillis(POLL_MS));
                    } else if (!send(producer, batch)) {
                        sleep(1_000); // the broker refused: try the same records again
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (!database.report(e)) {
                        LOG.warn("event relay: {}", e.toString());
                    }
                    sleep(1_000);
                }
            }
        } catch (Throwable t) {
            LOG.error("event relay stopped: events wait in the ledger until this server restarts", t);
            throw t;
        } finally {
            resign(); // first: a close that waits for the broker must not keep the lease from the others
            producer.close(Duration.ofSeconds(1));
        }
    }

    /** Takes or renews the lease; logs when this instance starts or stops relaying. */
    private boolean lead() {
        boolean now = outbox.lead(owner, lease);
        if (now != leading) {
            LOG.info(now ? "relaying lifecycle events from the ledger to {}" : "another instance relays events to {}",
                    kafka.eventsTopic());
            leading = now;
        }
        return now;
    }

    /**
     * Sends a batch, waits until the broker has answered for every record (each answers within the
     * producer's {@code delivery.timeout.ms}), and deletes the acknowledged ones. Waiting for all
     * answers before anything is sent again keeps a failed batch's records still in flight from
     * landing after (and beside) their own resend.
     *
     * @return false when a record failed (it is sent again), or the lease was lost meanwhile
     */
    private boolean send(KafkaProducer<String, byte[]> producer, List<EventOutbox.Entry> batch)
            throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
        List<EventOutbox.Entry> entries = new ArrayList<>(batch.size());
        boolean cut = false;
        for (EventOutbox.Entry e : batch) {
            ProducerRecord<String, byte[]> rec = new ProducerRecord<>(e.topic(), e.key(), e.value());
            e.headers().forEach((k, v) -> rec.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
            Future<RecordMetadata> f = producer.send(rec);
            Throwable failure = f.isDone() ? failure(f) : null;
            if (failure != null && refusesTheRecord(failure)) {
                refuse(e, failure); // this record never goes out; the ones after it do
                continue;
            }
            sent.add(f);
            entries.add(e);
            if (failure != null) {
                cut = true; // e.g. no metadata within max.block.ms: a later record must not overtake this one
                break;
            }
        }
        List<Long> acked = new ArrayList<>(sent.size());
        long renewMs = Math.max(100, lease.toMillis() / 3);
        boolean failed = cut;
        try {
            for (int i = 0; i < sent.size(); i++) {
                while (true) {
                    try {
                        sent.get(i).get(renewMs, TimeUnit.MILLISECONDS);
                        acked.add(entries.get(i).id());
                        break;
                    } catch (TimeoutException slow) {
                        away(sent.size() - acked.size(), "no acknowledgement within " + renewMs + " ms");
                        if (!renewWhileWaiting()) {
                            return false;
                        }
                    } catch (ExecutionException e) {
                        if (refusesTheRecord(e.getCause())) {
                            refuse(entries.get(i), e.getCause());
                        } else {
                            away(sent.size() - acked.size(), String.valueOf(e.getCause()));
                            failed = true;
                        }
                        break;
                    }
                }
            }
            if (!failed && brokerAway) {
                LOG.info("events topic {} reachable again: the waiting events are published", kafka.eventsTopic());
                brokerAway = false;
            }
            return !failed;
        } finally {
            outbox.delete(acked);
        }
    }

    /**
     * Whether the broker (or the producer) refuses this record for what it is, so that sending it
     * again can never succeed: too large, invalid, or not serializable. Unreachable brokers,
     * timeouts and missing rights are not (they pass, or a person fixes them, and the record waits).
     */
    static boolean refusesTheRecord(Throwable cause) {
        return cause instanceof RecordTooLargeException || cause instanceof InvalidRecordException
                || cause instanceof SerializationException || cause instanceof RecordBatchTooLargeException;
    }

    private void refuse(EventOutbox.Entry e, Throwable why) {
        LOG.error("record {} for {} ({} bytes) refused by Kafka and set aside in event_outbox: {}", e.id(), e.topic(),
                e.value() == null ? 0 : e.value().length, why.toString());
        outbox.refuse(e.id(), why.toString());
    }

    /** The failure of a future that is done; null when it succeeded. */
    private static Throwable failure(Future<RecordMetadata> f) {
        try {
            f.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    /** Renews the lease while a send waits; false when another instance took it over. */
    private boolean renewWhileWaiting() {
        try {
            return lead();
        } catch (RuntimeException e) {
            database.report(e);
            return true; // the database is away too: nobody else can take the lease meanwhile
        }
    }

    private void away(int waiting, String why) {
        if (!brokerAway) {
            LOG.warn("events topic {} unreachable ({}): events wait in the ledger ({} in this batch) and are published when it is back;"
                    + " generation goes on", kafka.eventsTopic(), why, waiting);
            brokerAway = true;
        }
    }

    private void resign() {
        try {
            if (leading) {
                outbox.resign(owner);
            }
        } catch (RuntimeException e) {
            LOG.debug("event relay lease not released: {}", e.getMessage());
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Sends what is left for up to {@value #DRAIN_MS} ms, then releases the lease. */
    @Override
    public void stop() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return;
        }
        draining = true;
        try {
            t.join(DRAIN_MS);
            running = false;
            t.interrupt();
            t.join(DRAIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before the dispatcher and intake, stops after them: their last events are sent. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 200;
    }
}
