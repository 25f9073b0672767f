/**
 * Sampler sweeps: a grid of (sampler, steps) points over one prompt set, each submitted as an
 * ordinary request, and the quality-vs-cost view of the finished runs: the table, the Pareto
 * front (cheapest NFE for each quality level) and an SVG plot. No Spring, no Kafka here: the
 * {@code sweep} command sends and waits; this package plans and reads.
 */
package io.diffusionbatch.sweep;
