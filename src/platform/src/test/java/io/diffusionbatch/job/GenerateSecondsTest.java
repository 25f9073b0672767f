package io.diffusionbatch.job;

import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;

import java.time.LocalDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The time a run spent generating, per execution: its partitions' span, whatever the manager step says. */
class GenerateSecondsTest {

    private static final LocalDateTime T0 = LocalDateTime.of(2026, 12, 7, 1, 0, 0);
    private final JobExecution je = new JobExecution(1, new JobInstance(1, GenerationJobConfig.JOB), new JobParameters());

    private StepExecution step(String name, int start, Integer end, Integer lastUpdated) {
        StepExecution s = new StepExecution(name, je);
        s.setStartTime(T0.plusSeconds(start));
        if (end != null) {
            s.setEndTime(T0.plusSeconds(end));
        }
        if (lastUpdated != null) {
            s.setLastUpdated(T0.plusSeconds(lastUpdated));
        }
        return s;
    }

    @Test
    void fromTheFirstPartitionStartToTheLastPartitionEnd() {
        List<StepExecution> steps = List.of(step("expand", 0, 1, 1), step(GenerationJobConfig.GENERATE_STEP, 1, 100, 100),
                step(GenerationJobConfig.PARTITION_STEP + ":partition0", 2, 12, 12),
                step(GenerationJobConfig.PARTITION_STEP + ":partition1", 3, 16, 16));
        assertThat(SummarizeTasklet.generateSeconds(steps, false)).isCloseTo(14.0, within(1e-9));
    }

    @Test
    void aPartitionOfACrashedExecutionEndsAtItsLastChunkNotAtTheRecovery() {
        List<StepExecution> steps = List.of(step(GenerationJobConfig.PARTITION_STEP + ":partition0", 2, null, 9),
                step(GenerationJobConfig.PARTITION_STEP + ":partition1", 2, null, 7));
        assertThat(SummarizeTasklet.generateSeconds(steps, false)).isCloseTo(7.0, within(1e-9));
        assertThat(SummarizeTasklet.generateSeconds(List.of(), false)).isZero();
    }
}
