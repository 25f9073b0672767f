/**
 * Model folders in the Stable Diffusion ONNX export layout and the ONNX Runtime sessions that run their networks.
 */
package io.diffusionbatch.engine.model;
