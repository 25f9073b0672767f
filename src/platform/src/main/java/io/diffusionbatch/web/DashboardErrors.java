package io.diffusionbatch.web;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.DatabaseWatch;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Errors as the dashboard shows them: a page with the status and a message (under {@code /api/},
 * {@code {"error": message, "status": code}}), never a stack trace: 400 for bad input, 404 for
 * what does not exist (also unknown paths: "no page PATH"), 405 naming the allowed methods, 503
 * saying so while the ledger database is unreachable (at once: {@link DatabaseWatch}), 500
 * (logged) for anything unexpected. Thread-safe.
 */
@ControllerAdvice
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class DashboardErrors {

    private static final Logger LOG = LoggerFactory.getLogger(DashboardErrors.class);
    private static final JsonMapper JSON = Json.MAPPER;
    private static final List<HttpMethod> METHOD_ORDER = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
            HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS);

    private final ObjectProvider<DatabaseWatch> database;

    /** @param database absent in a dashboard without the ledger (tests of the web server alone) */
    public DashboardErrors(ObjectProvider<DatabaseWatch> database) {
        this.database = database;
    }

    @ExceptionHandler(Exception.class)
    public ModelAndView handle(Exception e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        int status;
        String message;
        if (e instanceof ResponseStatusException r) {
            status = r.getStatusCode().value();
            message = r.getReason() == null ? r.getMessage() : r.getReason();
        } else if (e instanceof NoHandlerFoundException || e instanceof NoResourceFoundException) {
            status = 404;
            message = "no page " + request.getRequestURI();
        } else if (e instanceof HttpRequestMethodNotSupportedException m) {
            status = 405;
            Set<HttpMethod> allowed = m.getSupportedHttpMethods() == null ? Set.of() : m.getSupportedHttpMethods();
            List<String> names = METHOD_ORDER.stream().filter(allowed::contains).filter(x -> x != HttpMethod.OPTIONS)
                    .map(HttpMethod::name).toList();
            response.setHeader("Allow", String.join(", ", names));
            message = "method " + m.getMethod() + " not allowed here; use " + String.join(" or ", names);
        } else if (e instanceof ErrorResponse r) {
            status = r.getStatusCode().value();
            message = r.getBody().getDetail() == null ? HttpStatusCode.valueOf(status).toString() : r.getBody().getDetail();
        } else if (DatabaseWatch.isOutage(e)) {
            status = 503;
            response.setHeader("Retry-After", "5");
            DatabaseWatch watch = database.getIfAvailable();
            message = "the ledger database is unreachable"
                    + (watch == null ? "" : watch.downSince().map(t -> " since " + t).orElse(""))
                    + "; the runs go on when it is back (" + (watch == null || watch.reason().isEmpty()
                    ? e.getMessage() : watch.reason()) + ")";
            LOG.debug("dashboard: {} {}: database unreachable", request.getMethod(), request.getRequestURI());
        } else {
            status = 500;
            message = "internal error (" + e.getClass().getSimpleName() + "); the server log has the details";
            LOG.warn("dashboard: {} {} failed", request.getMethod(), request.getRequestURI(), e);
        }
        if (response.isCommitted()) {
            LOG.debug("dashboard: {} {} failed after the answer began", request.getMethod(), request.getRequestURI(), e);
            return new ModelAndView();
        }
        if (request.getRequestURI().startsWith("/api/")) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", message);
            body.put("status", status);
            byte[] bytes = JSON.writeValueAsBytes(body);
            response.setStatus(status);
            response.setContentType("application/json");
            response.setContentLength(bytes.length);
            response.getOutputStream().write(bytes);
            return new ModelAndView();
        }
        ModelAndView mav = new ModelAndView("dashboard/error", Map.of("p", Views.error(status, message)),
                HttpStatusCode.valueOf(status));
        return mav;
    }
}
