package io.diffusionbatch.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.net.URI;
import java.util.Optional;

/**
 * Where the dashboard listens, once its web server has started: the port and the base URL
 * ({@code http://127.0.0.1:PORT/} by default), logged at start. Exists only where the context
 * has a web server (the server role with {@code diffusion.web.port} not -1). Thread-safe.
 */
@Component
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class Dashboard implements ApplicationListener<WebServerInitializedEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    private final WebSettings settings;
    private volatile int port = -1;

    public Dashboard(Environment env) {
        this.settings = WebSettings.from(env);
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() != null) {
            return; // another server of the same application (e.g. a management port), not the dashboard
        }
        port = event.getWebServer().getPort();
        url().ifPresent(u -> LOG.info("dashboard at {}", u));
    }

    /** The bound port, or -1 before the start or when the port could not be bound. */
    public int port() {
        return port;
    }

    /** The dashboard's base URL; empty before the start or when the port could not be bound. */
    public Optional<URI> url() {
        int p = port;
        return p <= 0 ? Optional.empty() : Optional.of(URI.create(settings.url(p)));
    }

    /** The settings it runs with. */
    public WebSettings settings() {
        return settings;
    }
}
