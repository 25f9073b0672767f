package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DependencyFailure.Service;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the platform's topics (requests, events, dead letters) exist before intake starts,
 * under every profile: missing ones are created with the configured partitions, replication
 * factor and topic settings such as {@code min.insync.replicas} (the broker's defaults where unset), or, with {@code diffusion.kafka.topics.create=false},
 * the start fails with the names of the missing topics ({@link DependencyFailure}, one line, within
 * {@value #TIMEOUT_MS} ms when the brokers do not answer). Stateless; thread-safe.
 */
public final class TopicAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
    /** How long the brokers have to list or create the topics. */
    private static final int TIMEOUT_MS = 10_000;

    private TopicAdmin() {
    }

    /** The platform's topic names, in a stable order. */
    public static List<String> topicNames(DiffusionProperties.Kafka kafka) {
        return List.copyOf(new LinkedHashSet<>(List.of(kafka.requestsTopic(), kafka.eventsTopic(),
                kafka.deadLetterTopic())));
    }

    /**
     * Creates the missing topics or refuses to go on.
     *
     * @throws DependencyFailure naming the broker and the topics when they are missing and
     *                           creation is off, or when the broker cannot be asked
     */
    public static void ensureTopics(DiffusionProperties.Kafka kafka) {
        ensureTopics(kafka, Map.of());
    }

    /**
     * As {@link #ensureTopics(DiffusionProperties.Kafka)}, with more topics of the caller's (cluster
     * mode's partition topic) created with their own partition count (the configured one wins).
     *
     * @param extra topic name → its partition count when created
     */
    public static void ensureTopics(DiffusionProperties.Kafka kafka, Map<String, Integer> extra) {
        List<String> names = new ArrayList<>(topicNames(kafka));
        extra.keySet().stream().filter(n -> !names.contains(n)).sorted().forEach(names::add);
        DiffusionProperties.Topics t = kafka.topics();
        try (Admin admin = KafkaClients.admin(kafka, TIMEOUT_MS, "topics")) {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<String> missing = names.stream().filter(n -> !existing.contains(n)).toList();
            if (missing.isEmpty()) {
                return;
            }
            if (!t.create()) {
                throw new DependencyFailure(Service.KAFKA, "Kafka at " + kafka.bootstrapServers() + " lacks the topics "
                        + missing + " and diffusion.kafka.topics.create is false: create them, or allow the "
                        + "platform to", null);
            }
            List<NewTopic> create = new ArrayList<>();
            for (String name : missing) {
                Integer partitions = extra.containsKey(name) ? extra.get(name) : t.partitions();
                create.add(new NewTopic(name, Optional.ofNullable(partitions),
                        Optional.ofNullable(t.replicationFactor())).configs(t.configs()));
            }
            try {
                admin.createTopics(create).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) { // another instance created it meanwhile
                    throw e;
                }
            }
            LOG.info("created Kafka topics {} (partitions {}, replication factor {}, settings {})", missing,
                    t.partitions() == null ? "broker default" : t.partitions(),
                    t.replicationFactor() == null ? "broker default" : t.replicationFactor(),
                    t.configs().isEmpty() ? "the broker's" : t.configs());
        } catch (DependencyFailure e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new DependencyFailure(Service.KAFKA, "cannot check or create the topics " + names + " on Kafka at "
                    + kafka.bootstrapServers() + ": " + DependencyFailure.rootMessage(cause), e);
        }
    }
}
