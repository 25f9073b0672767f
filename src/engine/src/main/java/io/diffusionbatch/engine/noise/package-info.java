/**
 * Portable, counter-based Gaussian noise that is a function of an item's seed (and step) alone.
 */
package io.diffusionbatch.engine.noise;
