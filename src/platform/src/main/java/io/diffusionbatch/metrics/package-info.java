/**
 * What Kubernetes and Prometheus see of the platform: Micrometer meters of items, network
 * evaluations, stage seconds, FLOPs, energy, backlog, intake lag and dead letters; the readiness
 * contributors for Kafka and the model catalog; the models and their SHA-256 in {@code /actuator/info}.
 */
package io.diffusionbatch.metrics;
