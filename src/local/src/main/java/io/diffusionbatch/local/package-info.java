/**
 * Local mode: a real PostgreSQL (embedded binaries) and a real Kafka broker (Apache Kafka's own
 * server code, KRaft, in process), both with their data on disk under a data directory, started
 * before the Spring context so the rest of the platform sees ordinary connection settings.
 */
package io.diffusionbatch.local;
