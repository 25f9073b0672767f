package io.diffusionbatch.intake;

import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.job.JobDispatcher;
import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.metrics.PlatformMetrics;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.request.Violation;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.DependsOn;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The intake's Kafka consumer, on a thread of its own: for each record of the requests topic,
 * {@link RequestIntake#accept} stores it (or its rejection) and, in the same transaction, the outcome
 * to publish (an event; the raw record with its reasons for the dead-letter topic when refused) in
 * the ledger's outbox, which the {@link EventRelay} publishes; only then is the offset committed. When the database is unreachable nothing is committed: the
 * consumer seeks back and retries the same record when the {@link DatabaseWatch} sees the database
 * again, so accepted work is never lost;
 * any other failure on a record is recorded as its refusal (rule {@code internal-error}), so no
 * record can stop the consumer. Jobs never run here (the {@link JobDispatcher} runs them).
 * Active in the server and manager roles.
 */
@Component
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER})
@DependsOn("startupChecks") // the topics exist: StartupChecks made them
public class RequestConsumer implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(RequestConsumer.class);
    /**
     * Header of a dead letter whose record had a null value (a tombstone): the dead letter's value is null too, and
     * its reasons name the rule {@code null-value}.
     */
    public static final String NULL_VALUE_HEADER = "diffusion.null-value";
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(2);
    /** How often the intake thread measures its lag for {@link PlatformMetrics#LAG}. */
    static final Duration LAG_INTERVAL = Duration.ofSeconds(5);

    private final RequestIntake intake;
    private final OutboxRunEvents events;
    private final EventOutbox outbox;
    private final TransactionTemplate transactions;
    private final JobDispatcher dispatcher;
    private final DiffusionProperties.Kafka kafka;
    private final PlatformMetrics metrics;
    private final DatabaseWatch database;
    private volatile boolean running;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public RequestConsumer(RequestIntake intake, OutboxRunEvents events, EventOutbox outbox, JobDispatcher dispatcher,
                           DiffusionProperties props, PlatformMetrics metrics, DatabaseWatch database,
                           PlatformTransactionManager tm) {
        this.outbox = outbox;
        this.transactions = new TransactionTemplate(tm);
        this.database = database;
        this.metrics = metrics;
        this.intake = intake;
        this.events = events;
        this.dispatcher = dispatcher;
        this.kafka = props.kafka();
    }

    @Override
    public void start() {
        consumer = KafkaClients.consumer(kafka, kafka.groupId(), "intake");
        consumer.subscribe(List.of(kafka.requestsTopic()));
        running = true;
        thread = new Thread(this::loop, "intake");
        thread.start();
    }

    private void loop() {
        try {
            long lagMeasured = 0;
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                    if (System.nanoTime() - lagMeasured > LAG_INTERVAL.toNanos()) {
                        measureLag();
                        lagMeasured = System.nanoTime();
                    }
                    for (ConsumerRecord<String, byte[]> rec : records) {
                        if (!handle(rec)) {
                            TopicPartition tp = new TopicPartition(rec.topic(), rec.partition());
                            consumer.seek(tp, rec.offset());
                            if (database.available()) {
                                sleep(RETRY_PAUSE); // not the database: pause before the retry
                            } else {
                                database.awaitAvailable(RETRY_PAUSE, () -> running); // keep polling meanwhile
                            }
                            break;
                        }
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a failed poll (the broker away, a rebalance, a refused login) must not end intake
                    LOG.warn("intake: {}; polling again in {} s", e.toString(), RETRY_PAUSE.toSeconds());
                    sleep(RETRY_PAUSE);
                }
            }
        } catch (WakeupException e) {
            // shutdown
        } finally {
            consumer.close();
        }
    }

    /** The records of the assigned partitions not consumed yet; measured on the intake thread (the consumer's own). */
    private void measureLag() {
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                return;
            }
            long lag = 0;
            for (Map.Entry<TopicPartition, Long> e : consumer.endOffsets(assigned, Duration.ofSeconds(5)).entrySet()) {
                lag += Math.max(0, e.getValue() - consumer.position(e.getKey(), Duration.ofSeconds(5)));
            }
            metrics.intakeLag(lag);
        } catch (RuntimeException e) {
            if (e instanceof WakeupException w) {
                throw w;
            }
            LOG.debug("intake lag not measured: {}", e.getMessage());
        }
    }

    /** @return false when the record must be retried (nothing was committed) */
    boolean handle(ConsumerRecord<String, byte[]> rec) {
        String source = "kafka:" + rec.topic() + "/" + rec.partition() + "@" + rec.offset();
        boolean tombstone = rec.value() == null;
        byte[] payload = tombstone ? new byte[0] : rec.value();
        IntakeResult r;
        try {
            r = transactions.execute(s -> announce(tombstone ? intake.refuseNullValue(source)
                    : intake.accept(payload, source), rec, source));
        } catch (RuntimeException e) {
            if (database.report(e)) {
                // the database watch logs the outage once; the same record is tried again when it is back
                LOG.debug("intake of {} waits for the database: {}", source, e.getMessage());
                return false;
            }
            // a record that fails the same way every time must not stop the consumer: refuse it
            LOG.error("intake of {} failed; refusing it as an internal error", source, e);
            try {
                r = transactions.execute(s -> announce(intake.refuseUnexpected(payload, source, e), rec, source));
            } catch (RuntimeException again) {
                LOG.warn("cannot record the refusal of {}, will retry: {}", source, again.getMessage());
                return false;
            }
        }
        if (r.outcome() == IntakeResult.Outcome.ACCEPTED) {
            dispatcher.wakeUp();
        } else if (r.outcome() == IntakeResult.Outcome.REJECTED) {
            metrics.deadLettered();
        }
        try {
            consumer.commitSync(Map.of(new TopicPartition(rec.topic(), rec.partition()),
                    new OffsetAndMetadata(rec.offset() + 1)));
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // the record is in the ledger; the next commit covers it, and a redelivery meanwhile reports the same run
            LOG.warn("offset of {} not committed: {}", source, e.toString());
        }
        return true;
    }

    /**
     * Writes the outcome's event, and for a refusal the dead letter (the raw record with its reasons;
     * a tombstone stays a tombstone, marked by {@link #NULL_VALUE_HEADER}), to the outbox in the
     * intake's transaction: they exist exactly when the run or the rejection does.
     */
    private IntakeResult announce(IntakeResult r, ConsumerRecord<String, byte[]> rec, String source) {
        switch (r.outcome()) {
            case ACCEPTED -> events.publish(r.run().id(), EventType.ACCEPTED, Map.of("items", r.run().itemCount(),
                    "priority", r.run().priority(), "source", source));
            case DUPLICATE -> events.publish(r.run().id(), EventType.DUPLICATE, Map.of("source", source,
                    "reason", r.violations().get(0).toString()));
            case REJECTED -> {
                Map<String, String> headers = new LinkedHashMap<>();
                if (rec.value() == null) {
                    headers.put(NULL_VALUE_HEADER, "true");
                }
                headers.put("diffusion.reasons", RequestIntake.reasonsJson(r.violations()));
                headers.put("diffusion.source", source);
                headers.put("diffusion.rejection-id", Long.toString(r.rejectionId()));
                outbox.add(outbox.nextId(), kafka.deadLetterTopic(), rec.key(), rec.value(), headers, null);
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("type", EventType.REJECTED.wireName());
                ev.put("requestId", rec.key());
                ev.put("at", Instant.now().toString());
                ev.put("source", source);
                ev.put("rejectionId", r.rejectionId());
                ev.put("reasons", r.violations().stream().map(Violation::toString).toList()); // field: message [rule]
                events.publishUnbound(rec.key(), ev);
            }
        }
        return r;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            if (thread != null) {
                thread.join(30_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts after the dispatcher is up, stops first. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 50;
    }
}
