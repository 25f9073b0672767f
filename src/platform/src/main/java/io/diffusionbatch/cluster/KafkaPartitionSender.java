package io.diffusionbatch.cluster;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandler;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end of the manager's request channel: sends each {@link StepExecutionRequest} that Spring
 * Batch's {@code MessageChannelPartitionHandler} puts on it to the partition topic and waits for the
 * broker's acknowledgement (a few seconds at most). A send that fails (the broker is away) is logged
 * once per outage and not retried: the partition is already queued in the ledger, where idle workers
 * look for work every poll interval, so Kafka only makes the start faster. Thread-safe; {@link #close}
 * once.
 */
public final class KafkaPartitionSender implements MessageHandler, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPartitionSender.class);
    private static final long SEND_TIMEOUT_MS = 5_000;

    private final String topic;
    private final KafkaProducer<String, byte[]> producer;
    private volatile boolean failing;

    public KafkaPartitionSender(DiffusionProperties props) {
        this.topic = props.cluster().partitionTopic();
        // a broker that is away delays a dispatch by this much at most, not by the default minute
        this.producer = KafkaClients.producer(props.kafka(), "partitions",
                Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) SEND_TIMEOUT_MS,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) SEND_TIMEOUT_MS,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) SEND_TIMEOUT_MS - 1_000,
                        ProducerConfig.LINGER_MS_CONFIG, 0));
    }

    @Override
    public void handleMessage(Message<?> message) {
        if (!(message.getPayload() instanceof StepExecutionRequest r)) {
            throw new IllegalArgumentException("partition channel: expected a StepExecutionRequest, was "
                    + message.getPayload().getClass().getName());
        }
        send(r);
    }

    /** Sends one request; whether the broker acknowledged it. */
    public boolean send(StepExecutionRequest r) {
        try {
            producer.send(new ProducerRecord<>(topic, String.valueOf(r.getStepExecutionId()),
                    PartitionRequests.encode(r))).get(SEND_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
            if (failing) {
                failing = false;
                LOG.info("partition requests reach topic {} again", topic);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            if (!failing) {
                failing = true;
                LOG.warn("partition request {} not sent to topic {} ({}); workers find queued partitions in the ledger",
                        r.getStepExecutionId(), topic, e.getCause() != null ? e.getCause().toString() : e.toString());
            }
            return false;
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(2));
    }
}
