package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

import java.util.concurrent.TimeUnit;

/**
 * Readiness of the Kafka cluster the platform uses: UP when the brokers answer a cluster
 * description within {@value #TIMEOUT_MS} ms (with the cluster id and the number of brokers), DOWN
 * otherwise. One admin client ({@link KafkaClients#admin}), made on first use and closed with the
 * context. The readiness group's {@code kafka} contributor (bean {@code kafkaHealthIndicator}).
 * Thread-safe.
 */
@Component
public class KafkaHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

    static final int TIMEOUT_MS = 3000;

    private final DiffusionProperties.Kafka kafka;
    private Admin admin;

    public KafkaHealthIndicator(DiffusionProperties props) {
        super("Kafka is not reachable");
        this.kafka = props.kafka();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        var cluster = admin().describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS));
        String id = cluster.clusterId().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        int brokers = cluster.nodes().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).size();
        builder.up().withDetail("bootstrapServers", kafka.bootstrapServers()).withDetail("clusterId", id)
                .withDetail("brokers", brokers);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = KafkaClients.admin(kafka, TIMEOUT_MS, "health");
        }
        return admin;
    }

    @Override
    public synchronized void destroy() {
        if (admin != null) {
            admin.close();
        }
    }
}
