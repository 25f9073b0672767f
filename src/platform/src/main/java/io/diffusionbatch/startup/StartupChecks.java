package io.diffusionbatch.startup;

import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.intake.KafkaProbe;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import org.slf4j.Logger;
import org.springframework.core.env.Environment;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A server's dependencies, checked once while the context is made, before any lifecycle bean
 * starts: the Kafka cluster answers ({@link KafkaProbe}), the topics exist or are created
 * ({@link TopicAdmin}), and the output root is writable ({@link OutputRootCheck}). The database was
 * checked when the data source was made. The dispatcher and the intake consumer depend on this bean
 * ({@value #BEAN}), so a replica with a wrong address fails here, in seconds and with one line
 * ({@link DependencyFailure}), before it claims or recovers any run. Active in the server, manager and worker roles;
 * holds nothing once made.
 */
@Component(StartupChecks.BEAN)
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER, Roles.WORKER})
public class StartupChecks {

    /** The bean's name, for {@code @DependsOn}. */
    public static final String BEAN = "startupChecks";

    private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);

    /** @throws DependencyFailure naming the first service that failed its check */
    public StartupChecks(DiffusionProperties props, Environment env) {
        String kafka = KafkaProbe.check(props.kafka());
        String role = env.getProperty("diffusion.role", Roles.SERVER);
        // cluster mode's partition topic: as many partitions as workers may receive requests at once
        TopicAdmin.ensureTopics(props.kafka(), role.equals(Roles.SERVER) ? Map.of()
                : Map.of(props.cluster().partitionTopic(), props.cluster().topicPartitions()));
        String output = OutputRootCheck.check(props.outputRoot());
        LOG.debug("dependencies up: Kafka {} ({}), output root {} ({})", props.kafka().bootstrapServers(), kafka,
                props.outputRoot(), output);
    }
}
