/**
 * Where a run's files are kept: the {@link io.diffusionbatch.output.OutputStore} contract (stage, publish, clear,
 * read back) and its local-folder implementation, which checks at every write and read that nothing leaves the
 * output root.
 */
package io.diffusionbatch.output;
