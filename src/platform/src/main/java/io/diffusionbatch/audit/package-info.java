/**
 * Audit: what one item was (every row about it) and making it again from those rows alone,
 * compared byte for byte with the stored output.
 */
package io.diffusionbatch.audit;
