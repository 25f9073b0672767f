/**
 * The generation engine: a plain Java library (no Spring, Kafka or JDBC) that runs Stable-Diffusion-layout ONNX models with efficient samplers, guidance, seed-exact noise and cost counters.
 */
package io.diffusionbatch.engine;
