/**
 * Reverse-diffusion solvers (DDPM, DDIM, Euler, Euler ancestral, DPM-Solver++ 2M, LCM), each a small class citing its paper, agreeing with the diffusers schedulers' tables and update rules.
 */
package io.diffusionbatch.engine.sampler;
