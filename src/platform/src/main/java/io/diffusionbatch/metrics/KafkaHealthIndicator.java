package io.diffusionbatch.metrics;

import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Readiness of the Kafka cluster the platform uses: UP when the brokers answer a cluster
 * description within {@value #TIMEOUT_MS} ms (with the cluster id and the number of brokers), DOWN
 * otherwise. One admin client, made on first use and closed with the context. Thread-safe.
 */
public class KafkaHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

    static final int TIMEOUT_MS = 3000;

    private final DiffusionProperties.Kafka kafka;
    private Admin admin;

    public KafkaHealthIndicator(DiffusionProperties.Kafka kafka) {
        super("Kafka is not reachable");
        this.kafka = kafka;
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
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS));
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
