/**
 * The web dashboard of the server role: runs with live progress, a run's efficiency figures,
 * stage times and contact sheet, an item's provenance with a reproduce button, quality against
 * NFE with its Pareto front, and rejected inputs. Served on localhost by the JDK's
 * {@code com.sun.net.httpserver.HttpServer}; pages are rendered on the server, everything that
 * comes from the ledger is HTML-escaped.
 */
package io.diffusionbatch.web;
