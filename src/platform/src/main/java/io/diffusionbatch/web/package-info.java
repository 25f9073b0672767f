/**
 * The web dashboard of the server role, on Spring MVC (embedded Tomcat, loopback by default):
 * runs with live progress, a run's figures, stage times and contact sheet, an item's provenance
 * with a reproduce button, quality against NFE with its Pareto front, rejected inputs, and their
 * JSON. Pages are Mustache templates ({@code templates/dashboard/}) that escape every value; the
 * only unescaped output is SVG drawn from numbers by {@code io.diffusionbatch.chart}. Reads go
 * through the ledger (no SQL here); {@link io.diffusionbatch.web.RequestGuard} checks the Host of
 * every request and the origin of every POST.
 */
package io.diffusionbatch.web;
