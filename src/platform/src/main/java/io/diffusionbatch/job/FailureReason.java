package io.diffusionbatch.job;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobExecutionException;

import java.util.List;

/**
 * The reason to record for a failed job execution: the first failure of a step that did the work (a partition's
 * "…/run is a symbolic link", "No space left on device"), not the wrapper with which the partitioned step reports
 * that some partition failed ("Partition handler returned an unsuccessful step"). Stateless and thread-safe.
 */
final class FailureReason {

    private FailureReason() {
    }

    /** @return the reason, never null (the exit description when no exception was kept) */
    static String of(JobExecution je) {
        List<Throwable> all = je.getAllFailureExceptions();
        return all.stream().filter(t -> !(t instanceof JobExecutionException)).findFirst()
                .or(() -> all.stream().findFirst())
                .map(t -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                .orElse(String.valueOf(je.getExitStatus().getExitDescription()));
    }
}
