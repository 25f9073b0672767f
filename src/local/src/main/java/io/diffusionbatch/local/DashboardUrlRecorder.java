package io.diffusionbatch.local;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

import java.nio.file.Path;

/**
 * Writes the dashboard's URL into {@code DATA/services.json} ({@code dashboardUrl}) once the web
 * server of a serving process has started, so {@code submit} and people can find it. The URL is
 * {@code http://ADDRESS:PORT/} with Boot's {@code server.address} (which the platform sets from
 * {@code diffusion.web.address}; {@code 127.0.0.1} when bound to every interface or unset). Nothing
 * is written when the server has no port (it could not bind) or for a second server of the same
 * application (a management port). Thread-safe.
 */
final class DashboardUrlRecorder implements ApplicationListener<WebServerInitializedEvent> {

    private final Path dataDir;

    DashboardUrlRecorder(Path dataDir) {
        this.dataDir = dataDir;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        int port = event.getWebServer().getPort();
        if (port <= 0 || event.getApplicationContext().getServerNamespace() != null) {
            return;
        }
        LocalServices.recordDashboard(dataDir, url(event.getApplicationContext().getEnvironment(), port));
    }

    static String url(Environment env, int port) {
        String host = env.getProperty("server.address", "127.0.0.1").trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            host = "127.0.0.1";
        }
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/";
    }
}
