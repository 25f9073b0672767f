/**
 * SVG charts drawn from numbers: axes with nice ticks (1, 2 or 5 × 10^k), scatter plots with a
 * dashed front line, and horizontal bars. Used by the sweep report's plot and the dashboard; every
 * text that goes into the SVG is escaped here.
 */
package io.diffusionbatch.chart;
