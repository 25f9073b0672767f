package io.diffusionbatch.job;

import io.diffusionbatch.ledger.DatabaseWatch;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.Roles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

import java.nio.file.Path;

/**
 * The {@code generate} job: {@code expand} (COPY the items) → {@code generate} (partitioned by
 * item range; the partition handler is a bean of its own: threads of this process, or in the
 * manager role {@code cluster.ManagerPartitioning}'s, which sends partitions to worker processes) → {@code assess} (the model's evaluator reads the
 * outputs back: adherence and FID) → {@code export} (dataset nights only: {@link ExportTasklet}) → {@code summarize}. One job instance per request
 * (identifying parameter {@value #REQUEST_ID}); restarting it resumes only unfinished partitions,
 * and inside them only pending items.
 */
@Configuration(proxyBeanMethods = false)
public class GenerationJobConfig {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationJobConfig.class);

    public static final String JOB = "generate";
    public static final String REQUEST_ID = "requestId";
    public static final String GENERATE_STEP = "generate";
    public static final String PARTITION_STEP = "generatePartition";

    @Bean
    Job generateJob(JobRepository repository, Step expandStep, Step generateStep, Step assessStep, Step exportStep,
                    Step summarizeStep, LocalExecutions executions) {
        return new JobBuilder(JOB, repository).listener(executions).start(expandStep).next(generateStep)
                .next(assessStep).next(exportStep).next(summarizeStep).build();
    }

    @Bean
    Step exportStep(JobRepository repository, PlatformTransactionManager tm, ExportTasklet tasklet) {
        return new StepBuilder("export", repository).tasklet(tasklet, tm).build();
    }

    @Bean
    Step assessStep(JobRepository repository, PlatformTransactionManager tm, AssessTasklet tasklet) {
        return new StepBuilder("assess", repository).tasklet(tasklet, tm).build();
    }

    @Bean
    Step expandStep(JobRepository repository, PlatformTransactionManager tm, ExpandTasklet tasklet) {
        return new StepBuilder("expand", repository).tasklet(tasklet, tm).build();
    }

    @Bean
    Step partitionStep(JobRepository repository, PartitionWorker worker, RunContexts runs, OutputStore store) {
        // no transaction around a micro-batch: the worker's ledger calls commit alone and retry
        // through a database outage, which a transaction held across generation could not
        return new StepBuilder(PARTITION_STEP, repository).tasklet(worker, new ResourcelessTransactionManager())
                .listener(new StepExecutionListener() {
                    @Override
                    public void beforeStep(StepExecution step) {
                        // what a crashed attempt left; a refusal (a link planted there) fails the partition
                        store.clearStaging(outputDir(step), step.getStepName());
                    }

                    @Override
                    public ExitStatus afterStep(StepExecution step) {
                        // a failed batch (storage full, read-only) leaves no staged files behind when it can
                        try {
                            store.clearStaging(outputDir(step), step.getStepName());
                        } catch (RuntimeException e) {
                            LOG.warn("partition {}: staging folder not cleared ({}); the next attempt clears it",
                                    step.getStepName(), e.getMessage());
                        }
                        return step.getExitStatus();
                    }

                    private Path outputDir(StepExecution step) {
                        return runs.get(step.getJobExecution().getJobParameters().getLong(REQUEST_ID)).outputDir();
                    }
                })
                .build();
    }

    /** Partitions on threads of this process: every role but the manager (whose partitions run on workers). */
    @Bean
    @ConditionalOnRole({Roles.SERVER, Roles.WORKER, Roles.CLIENT, Roles.DOCTOR})
    PartitionHandler localPartitionHandler(Step partitionStep, DiffusionProperties props) {
        SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("partition-");
        executor.setConcurrencyLimit(Math.max(1, props.job().concurrency()));
        // partitions wait out a database outage in Spring Batch's bookkeeping too, not only in the worker's calls
        executor.setTaskDecorator(task -> () -> DatabaseWatch.runPatiently(props.job().databaseWait(), task));
        TaskExecutorPartitionHandler handler = new TaskExecutorPartitionHandler();
        handler.setTaskExecutor(executor);
        handler.setStep(partitionStep);
        handler.setGridSize(Math.max(1, props.job().gridSize()));
        return handler;
    }

    @Bean
    Step generateStep(JobRepository repository, PartitionHandler partitionHandler, ItemStore items,
                      Step partitionStep, DiffusionProperties props) {
        return new StepBuilder(GENERATE_STEP, repository)
                .partitioner(PARTITION_STEP, new RunPartitioner(items,
                        Math.max(1L, (long) props.job().minPartitionBatches() * props.job().batchSize())))
                .partitionHandler(partitionHandler)
                .step(partitionStep)
                .build();
    }

    @Bean
    Step summarizeStep(JobRepository repository, PlatformTransactionManager tm, SummarizeTasklet tasklet) {
        return new StepBuilder("summarize", repository).tasklet(tasklet, tm).build();
    }
}
