package io.diffusionbatch.job;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobExecutionException;
import org.springframework.batch.core.step.StepExecution;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The reason to record for a failed job execution: the first failure of a step that did the work (a partition's
 * "…/run is a symbolic link", "No space left on device"), not the wrapper with which the partitioned step reports
 * that some partition failed ("Partition handler returned an unsuccessful step"). Stateless and thread-safe.
 */
final class FailureReason {

    private FailureReason() {
    }

    /**
     * @return the reason, never null (the exit description when no exception was kept); the same for
     *         the same execution (steps in the order they ran, not the unordered set Spring Batch returns)
     */
    static String of(JobExecution je) {
        Stream<Throwable> ofSteps = je.getStepExecutions().stream()
                .sorted(Comparator.comparing(StepExecution::getId, Comparator.nullsLast(Comparator.naturalOrder())))
                .flatMap(s -> s.getFailureExceptions().stream());
        List<Throwable> all = Stream.concat(ofSteps, je.getFailureExceptions().stream()).toList();
        return all.stream().filter(t -> !(t instanceof JobExecutionException)).findFirst()
                .or(() -> all.stream().findFirst())
                .map(t -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                .orElse(String.valueOf(je.getExitStatus().getExitDescription()));
    }
}
