/**
 * What Kubernetes and Prometheus see of the platform: Micrometer meters of items, network
 * evaluations, stage seconds, FLOPs, energy, backlog, intake lag and dead letters; the readiness
 * contributor of the model catalog (Kafka's is in {@code intake}, with the Kafka clients); the models and their SHA-256 in {@code /actuator/info}.
 */
package io.diffusionbatch.metrics;
