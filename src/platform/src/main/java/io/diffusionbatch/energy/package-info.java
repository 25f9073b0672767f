/**
 * Energy of the work: a cumulative hardware counter where one is readable (Intel RAPL on CPU),
 * otherwise an estimate from configured watts, always labelled with its source.
 */
package io.diffusionbatch.energy;
