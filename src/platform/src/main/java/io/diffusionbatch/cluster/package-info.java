/**
 * Cluster mode: the manager's partitions run on worker processes. Spring Batch's remote
 * partitioning sends each partition's step execution over Kafka; the ledger's {@code partitions}
 * table is the queue (by priority) and the lease of every partition, so a lost, late or repeated
 * request changes nothing, and a dead worker's partition runs again elsewhere.
 */
@NullMarked
package io.diffusionbatch.cluster;

import org.jspecify.annotations.NullMarked;
