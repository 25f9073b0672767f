/**
 * The command line: generate and the other commands people type.
 */
package io.diffusionbatch.cli;
