/**
 * The command line: generate and the other commands people type, as picocli commands under
 * {@code Main}; help, usage errors, exit codes and bash completion come from one model.
 */
package io.diffusionbatch.cli;
