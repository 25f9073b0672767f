/**
 * Prompt tokenizers: CLIP byte-level BPE and a simple word-level vocabulary.
 */
package io.diffusionbatch.engine.tokenizer;
