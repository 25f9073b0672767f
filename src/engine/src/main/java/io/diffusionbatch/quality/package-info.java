/**
 * Quality of generated outputs: prompt adherence judged by an evaluator network, per attribute.
 */
package io.diffusionbatch.quality;
