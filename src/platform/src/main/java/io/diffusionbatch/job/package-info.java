/**
 * Spring Batch wiring of a request: the {@code generate} job (expand → partitioned generate →
 * summarize), its partitioner and worker, the dispatcher that starts waiting runs in priority
 * order and resumes interrupted ones, and the {@link io.diffusionbatch.job.RunEvents} contract
 * through which a run reports its lifecycle.
 */
package io.diffusionbatch.job;
