package io.diffusionbatch.startup;

import io.diffusionbatch.intake.KafkaProbe;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * A server's dependencies, checked once while the context is made, before any lifecycle bean
 * starts: the Kafka cluster answers ({@link KafkaProbe}), the topics exist or are created
 * ({@link TopicAdmin}), and the output root is writable ({@link OutputRootCheck}). The database was
 * checked when the data source was made. The dispatcher and the intake consumer depend on this bean
 * ({@value #BEAN}), so a replica with a wrong address fails here, in seconds and with one line
 * ({@link DependencyFailure}), before it claims or recovers any run. Active in the server role only;
 * holds nothing once made.
 */
@Component(StartupChecks.BEAN)
@ConditionalOnProperty(name = "diffusion.role", havingValue = "server")
public class StartupChecks {

    /** The bean's name, for {@code @DependsOn}. */
    public static final String BEAN = "startupChecks";

    private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);

    /** @throws DependencyFailure naming the first service that failed its check */
    public StartupChecks(DiffusionProperties props) {
        String kafka = KafkaProbe.check(props.kafka());
        TopicAdmin.ensureTopics(props.kafka());
        String output = OutputRootCheck.check(props.outputRoot());
        LOG.debug("dependencies up: Kafka {} ({}), output root {} ({})", props.kafka().bootstrapServers(), kafka,
                props.outputRoot(), output);
    }
}
