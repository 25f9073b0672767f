/**
 * Training noise schedules (beta schedules, cumulative alphas, sigmas) and inference timestep spacing, read from scheduler_config.json.
 */
package io.diffusionbatch.engine.schedule;
