package io.diffusionbatch.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * Decides, once the configuration is read and before the context is made, whether the server
 * role gets its web server: none when {@code diffusion.web.port} is -1, else Boot's
 * {@code server.port} and {@code server.address} are set from {@code diffusion.web.*} (which win
 * over any {@code server.*} setting). Bad settings stop the start with a message that names them.
 * Registered in the platform's {@code META-INF/spring.factories}; applications without a web
 * server (the client role) are left alone. Stateless and thread-safe.
 */
public final class WebServerSwitch implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(WebServerSwitch.class);

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        if (event.getSpringApplication().getWebApplicationType() == WebApplicationType.NONE) {
            return;
        }
        WebSettings s = WebSettings.from(event.getEnvironment());
        if (!s.enabled()) {
            LOG.info("dashboard off (diffusion.web.port=-1)");
            event.getSpringApplication().setWebApplicationType(WebApplicationType.NONE);
            return;
        }
        if (!s.resolvable()) {
            throw new IllegalArgumentException("diffusion.web.address: '" + s.address()
                    + "' is not an IP address or a host name that resolves");
        }
        event.getEnvironment().getPropertySources().addFirst(new MapPropertySource("diffusion-web",
                Map.of("server.port", s.port(), "server.address", s.serverAddress())));
    }
}
