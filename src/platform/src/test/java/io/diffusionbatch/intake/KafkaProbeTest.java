package io.diffusionbatch.intake;

import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The Kafka probe's one line says whether the brokers refused the login, the permission, or did not answer. */
class KafkaProbeTest {

    private static final DiffusionProperties.Kafka KAFKA = new DiffusionProperties.Kafka("broker:9092", "requests",
            "events", "requests.dlt", "diffusion-intake", null);

    @Test
    void theLineNamesTheAddressAndTheKindOfFailure() {
        DependencyFailure login = KafkaProbe.failure(KAFKA, new SaslAuthenticationException("invalid credentials"));
        assertThat(login.getMessage()).isEqualTo("cannot log in to Kafka at broker:9092: invalid credentials");
        assertThat(login.service().exitCode()).isEqualTo(11);
        assertThat(KafkaProbe.failure(KAFKA, new TopicAuthorizationException(Set.of("requests"))).getMessage())
                .startsWith("not authorized by Kafka at broker:9092: ");
        assertThat(KafkaProbe.failure(KAFKA, new TimeoutException("Timed out waiting for a node assignment.\n"
                + "Call: describeCluster")).getMessage())
                .isEqualTo("cannot reach Kafka at broker:9092: Timed out waiting for a node assignment. Call: describeCluster");
    }
}
