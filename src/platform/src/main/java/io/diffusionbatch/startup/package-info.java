/**
 * Start-up checks: a server's dependencies (Kafka and its topics, the output root; the database is
 * checked by the ledger as its data source is made) are probed with short timeouts before the
 * dispatcher and the intake consumer start, so that a misconfigured replica fails in seconds with one
 * line and never touches a run.
 */
package io.diffusionbatch.startup;
