package io.diffusionbatch.cluster;

import io.diffusionbatch.job.GenerationJobConfig;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.job.RunContexts;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.integration.partition.MessageChannelPartitionHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.core.MessagingTemplate;

/**
 * The manager role's remote partitioning (Spring Batch's polling mode: the job repository, not a
 * reply message, says when a partition has ended, so nothing is lost with the manager's memory):
 * {@link MessageChannelPartitionHandler} sends a {@code StepExecutionRequest} per partition on a
 * direct channel whose subscriber, {@link KafkaPartitionSender}, puts it on the partition topic;
 * {@link QueueingPartitionHandler} queues each partition in the ledger first. The poll interval is
 * {@code diffusion.cluster.poll-interval}; there is no timeout: a partition whose worker dies is
 * re-queued by the {@link PartitionReaper}, or fails its step after {@code max-attempts} losses.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnRole(Roles.MANAGER)
public class ManagerPartitioning {

    @Bean(destroyMethod = "close")
    KafkaPartitionSender kafkaPartitionSender(DiffusionProperties props) {
        return new KafkaPartitionSender(props);
    }

    @Bean
    PartitionHandler remotePartitionHandler(KafkaPartitionSender sender, JobRepository repository,
                                            PartitionStore partitions, RunContexts runs,
                                            DiffusionProperties props) throws Exception {
        DirectChannel requestChannel = new DirectChannel();
        requestChannel.subscribe(sender);
        MessagingTemplate template = new MessagingTemplate();
        template.setDefaultChannel(requestChannel);
        MessageChannelPartitionHandler handler = new MessageChannelPartitionHandler();
        handler.setMessagingOperations(template);
        handler.setStepName(GenerationJobConfig.PARTITION_STEP);
        handler.setGridSize(Math.max(1, props.job().gridSize()));
        handler.setJobRepository(repository); // polling mode
        handler.setPollInterval(props.cluster().pollInterval().toMillis());
        handler.afterPropertiesSet();
        return new QueueingPartitionHandler(handler, partitions, runs);
    }
}
