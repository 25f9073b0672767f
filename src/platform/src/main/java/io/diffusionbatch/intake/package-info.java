/**
 * Intake: requests from Kafka (or a file) are validated, stored in the ledger and only then
 * acknowledged; refused ones go to the dead-letter topic and the rejected-inputs table with
 * their reasons; lifecycle events go to the events topic. Knows nothing of the engine.
 */
package io.diffusionbatch.intake;
