package io.diffusionbatch.intake;

import io.diffusionbatch.local.LocalKafka;

import java.nio.file.Path;
import java.util.Map;

/**
 * A one-node Kafka (broker and KRaft controller, this JVM: {@link LocalKafka}) whose only client
 * listener is {@code SASL_PLAINTEXT} with the PLAIN mechanism: users {@value #USER} /
 * {@value #PASSWORD} (also the broker's own) and nobody else; no authorizer, so an authenticated
 * user may do anything. The controller listener is plaintext on loopback. Not thread-safe: start
 * and close from one thread.
 */
final class SaslKafka implements AutoCloseable {

    static final String USER = "diffusion";
    static final String PASSWORD = "s3cret-pw";

    private final LocalKafka node;

    private SaslKafka(LocalKafka node) {
        this.node = node;
    }

    static SaslKafka start(Path dataDir) {
        return new SaslKafka(LocalKafka.start(dataDir, 0, "SASL_PLAINTEXT", Map.of(
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER
                        + "\" password=\"" + PASSWORD + "\" user_" + USER + "=\"" + PASSWORD + "\";")));
    }

    /** The client settings that log in as {@code user} with {@code password} over SASL/PLAIN. */
    static Map<String, String> clientSettings(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    String bootstrapServers() {
        return node.bootstrapServers();
    }

    @Override
    public void close() {
        node.close();
    }
}
