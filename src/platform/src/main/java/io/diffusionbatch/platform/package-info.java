/**
 * The Spring Boot application that wires the platform: configuration properties, the model
 * catalog, and the context that {@code serve}, {@code demo} and the ledger commands start.
 */
package io.diffusionbatch.platform;
