/**
 * Reading ONNX graphs without running them: parameter counts and FLOPs per evaluation.
 */
package io.diffusionbatch.engine.graph;
