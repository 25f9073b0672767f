/**
 * The ledger: JDBC access to requests, prompts, items, outputs, item and run statistics,
 * lifecycle events and rejected inputs in PostgreSQL (schema: Flyway migrations in {@code db/}).
 * Knows nothing of Kafka or of the engine's internals; every class is thread-safe (stateless
 * over a pooled {@link javax.sql.DataSource}).
 */
package io.diffusionbatch.ledger;
