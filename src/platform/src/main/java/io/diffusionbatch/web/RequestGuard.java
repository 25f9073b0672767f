package io.diffusionbatch.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * The dashboard has no login, so every request passes two checks before any handler runs:
 * <ul>
 *   <li>its {@code Host} header names this server (one of {@link WebSettings#hostNames()}), else
 *       421: a page of another site whose name resolves to this machine (DNS rebinding) cannot read
 *       the dashboard;</li>
 *   <li>a request that may change something (any method but GET, HEAD, OPTIONS, TRACE) comes from a
 *       page of the dashboard itself: {@code Sec-Fetch-Site: same-origin}, or, without that header,
 *       an {@code Origin} equal to the request's own, else 403 (no cross-site reproduce).</li>
 * </ul>
 * Kubernetes probes and Prometheus scrapes name the pod's address as {@code Host}, so reads (GET,
 * HEAD) of the probe and scrape endpoints ({@value #PROBES}…, {@value #SCRAPE}) skip the host
 * check: they change nothing and show health and counts only.
 * Every answer gets {@code nosniff}, no framing, a same-origin referrer policy, a strict content
 * security policy and, unless a handler says otherwise, {@code Cache-Control: no-store}.
 * Thread-safe (immutable).
 */
public class RequestGuard extends OncePerRequestFilter {

    /** What pages may load: scripts and styles from the dashboard only, no frames, no plugins. */
    static final String CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    /** Actuator's health endpoints, with the liveness and readiness groups under it. */
    static final String PROBES = "/actuator/health";
    /** Actuator's Prometheus scrape endpoint. */
    static final String SCRAPE = "/actuator/prometheus";

    private final Set<String> hosts;

    /** @param settings the allowed host names come from here (not null) */
    public RequestGuard(WebSettings settings) {
        this.hosts = Set.copyOf(settings.hostNames());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String hostHeader = request.getHeader("Host");
        String host = hostHeader == null ? null : hostName(hostHeader);
        if ((host == null || !hosts.contains(host)) && !isProbeOrScrape(request)) {
            refuse(response, 421, "421 Misdirected Request: this dashboard does not answer to host '"
                    + (hostHeader == null ? "" : hostHeader) + "' (allowed names: diffusion.web.allowed-hosts)");
            return;
        }
        if (!SAFE.contains(request.getMethod()) && !sameOrigin(request, hostHeader)) {
            refuse(response, 403, "403 Forbidden: " + request.getMethod() + " is accepted from the dashboard's own pages "
                    + "only (Origin " + String.valueOf(request.getHeader("Origin")) + ", Sec-Fetch-Site "
                    + String.valueOf(request.getHeader("Sec-Fetch-Site")) + ")");
            return;
        }
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "same-origin");
        response.setHeader("Content-Security-Policy", CSP);
        response.setHeader("Cache-Control", "no-store");
        chain.doFilter(request, response);
    }

    private static boolean isProbeOrScrape(HttpServletRequest request) {
        String m = request.getMethod();
        String path = request.getRequestURI();
        return (m.equals("GET") || m.equals("HEAD"))
                && (path.equals(PROBES) || path.startsWith(PROBES + "/") || path.equals(SCRAPE));
    }

    /** Same origin: {@code Sec-Fetch-Site} says so, or (without it) {@code Origin} is this scheme + Host. */
    static boolean sameOrigin(HttpServletRequest request, String hostHeader) {
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null) {
            return site.equals("same-origin");
        }
        String origin = request.getHeader("Origin");
        return origin != null && origin.equalsIgnoreCase(request.getScheme() + "://" + hostHeader);
    }

    /**
     * The host of a {@code Host} header value, lower case, without port and without the brackets
     * of an IPv6 literal; null when the value is malformed.
     */
    static String hostName(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0 || !(end == h.length() - 1 || h.charAt(end + 1) == ':')) {
                return null;
            }
            return h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
            return null; // a bare IPv6 literal is not a valid Host header
        }
        String name = colon < 0 ? h : h.substring(0, colon);
        return name.isEmpty() ? null : name;
    }

    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=utf-8");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-store");
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
