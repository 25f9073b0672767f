package io.diffusionbatch.engine;

/**
 * Receives progress of a generation run, counted in denoiser steps of all its items.
 * Called from the generating thread; implementations must be quick and must not throw.
 */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (done, total) -> { };

    /**
     * @param stepsDone  sampler steps finished so far, summed over items
     * @param stepsTotal sampler steps of the whole run, summed over items
     */
    void progress(long stepsDone, long stepsTotal);
}
