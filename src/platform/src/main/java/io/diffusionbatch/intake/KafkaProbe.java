package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DependencyFailure.Service;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Asks the brokers to describe their cluster with a short timeout ({@value #TIMEOUT_MS} ms), with
 * the platform's client settings (security included), so that an unreachable bootstrap address
 * or a refused login is one line at start ({@link DependencyFailure}, service
 * {@link Service#KAFKA}) instead of a consumer that waits for a minute. Stateless; thread-safe.
 */
public final class KafkaProbe {

    /** How long the brokers have to answer. */
    public static final int TIMEOUT_MS = 5000;

    private KafkaProbe() {
    }

    /**
     * Describes the cluster: {@code cluster ID, N brokers}.
     *
     * @throws DependencyFailure naming the bootstrap address and the cause
     */
    public static String check(DiffusionProperties.Kafka kafka) {
        try (Admin admin = KafkaClients.admin(kafka, TIMEOUT_MS, "probe")) {
            DescribeClusterResult cluster = admin.describeCluster();
            String id = cluster.clusterId().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            int brokers = cluster.nodes().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).size();
            return "cluster " + id + ", " + brokers + (brokers == 1 ? " broker" : " brokers");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(kafka, e);
        } catch (Exception e) {
            throw failure(kafka, e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
        }
    }

    /** The one-line failure of talking to {@code kafka}: refused credentials or permissions, or no answer. */
    static DependencyFailure failure(DiffusionProperties.Kafka kafka, Throwable cause) {
        String verb = cause instanceof AuthenticationException ? "cannot log in to"
                : cause instanceof AuthorizationException ? "not authorized by" : "cannot reach";
        return new DependencyFailure(Service.KAFKA, verb + " Kafka at " + kafka.bootstrapServers() + ": "
                + DependencyFailure.rootMessage(cause), cause);
    }
}
