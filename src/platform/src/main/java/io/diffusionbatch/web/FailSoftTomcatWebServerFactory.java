package io.diffusionbatch.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.tomcat.ConnectorStartFailedException;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.GracefulShutdownCallback;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.WebServerException;
import org.springframework.boot.web.servlet.ServletContextInitializer;

/**
 * Boot's Tomcat factory whose servers fail soft: when the connector cannot bind (the port is in
 * use, the address is not this machine's), the batch server logs a warning and runs on without
 * its dashboard instead of refusing to start; such a server reports port -1. Any other failure
 * still stops the start. A top-level class with a public no-argument constructor, so a separate
 * management context can make one of its own. Not thread-safe while being configured (as Boot's).
 */
public class FailSoftTomcatWebServerFactory extends TomcatServletWebServerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(FailSoftTomcatWebServerFactory.class);

    @Override
    public WebServer getWebServer(ServletContextInitializer... initializers) {
        return new FailSoftWebServer(super.getWebServer(initializers), getAddress() == null ? "*"
                : getAddress().getHostAddress(), getPort());
    }

    /** A web server that, when its connector cannot bind, is stopped and reports port -1. Thread-safe. */
    static final class FailSoftWebServer implements WebServer {

        private final WebServer delegate;
        private final String address;
        private final int configuredPort;
        private volatile boolean failed;

        FailSoftWebServer(WebServer delegate, String address, int configuredPort) {
            this.delegate = delegate;
            this.address = address;
            this.configuredPort = configuredPort;
        }

        @Override
        public void start() {
            try {
                delegate.start();
            } catch (PortInUseException | ConnectorStartFailedException e) {
                failed = true;
                // a busy port must not stop the batch server: it runs on without its dashboard
                LOG.warn("dashboard not started: cannot listen on {} port {} ({}); the server runs on without it. "
                        + "Set diffusion.web.port to a free port, 0 for any, -1 for off", address, configuredPort,
                        e.getMessage());
                try {
                    delegate.stop();
                } catch (WebServerException ignored) {
                    // already stopped by the failed start
                }
            }
        }

        @Override
        public void stop() {
            delegate.stop();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public int getPort() {
            return failed ? -1 : delegate.getPort();
        }

        @Override
        public void shutDownGracefully(GracefulShutdownCallback callback) {
            if (failed) {
                callback.shutdownComplete(GracefulShutdownResult.IMMEDIATE);
            } else {
                delegate.shutDownGracefully(callback);
            }
        }
    }
}
