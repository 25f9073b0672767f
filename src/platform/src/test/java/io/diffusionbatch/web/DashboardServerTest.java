package io.diffusionbatch.web;

import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.mustache.autoconfigure.MustacheAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The dashboard's web server settings and lifecycle, without a ledger: the server role's
 * application started with only the web parts of the dashboard (its Tomcat factory, request guard,
 * static files and error pages) and local mode off.
 */
class DashboardServerTest {

    /** The web parts of the dashboard, nothing that needs Postgres or Kafka. */
    @SpringBootConfiguration
    @ImportAutoConfiguration({PropertyPlaceholderAutoConfiguration.class, TomcatServletWebServerAutoConfiguration.class,
            DispatcherServletAutoConfiguration.class, WebMvcAutoConfiguration.class, ErrorMvcAutoConfiguration.class,
            HttpMessageConvertersAutoConfiguration.class, JacksonAutoConfiguration.class, MustacheAutoConfiguration.class})
    @Import({DashboardWebConfiguration.class, Dashboard.class, DashboardErrors.class})
    static class WebOnly {
    }

    private static ConfigurableApplicationContext start(String... args) {
        List<String> all = new ArrayList<>(List.of("--diffusion.local.mode=off",
                "--diffusion.output-root=" + System.getProperty("java.io.tmpdir")));
        all.addAll(List.of(args));
        return DiffusionBatchApplication.application("server", WebOnly.class).run(all.toArray(String[]::new));
    }

    private static WebSettings settings(String key, String value) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", Map.of(key, value)));
        return WebSettings.from(env);
    }

    /** Sends one raw HTTP/1.1 request (any Host header) and returns the status line and the rest. */
    static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    @Test
    void portMustBeMinusOneZeroOrAPortNumber() {
        for (String bad : new String[]{"-2", "65536", "http", ""}) {
            assertThatThrownBy(() -> settings("diffusion.web.port", bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("diffusion.web.port: must be -1 (off), 0 (a free port) or 1..65535, was '" + bad + "'");
        }
        // the server role refuses to start with it, before anything else starts
        assertThatThrownBy(() -> start("--diffusion.web.port=http")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("diffusion.web.port: must be -1 (off), 0 (a free port) or 1..65535, was 'http'");
        assertThatThrownBy(() -> settings("diffusion.web.address", "a b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("diffusion.web.address: must be an IP address or a host name, was 'a b'");
        assertThatThrownBy(() -> settings("diffusion.web.allowed-hosts", "localhost,evil.example:80/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("diffusion.web.allowed-hosts: each must be a host name or an IP address (no port), "
                        + "was 'evil.example:80/x'");
    }

    @Test
    void defaultsAreLoopbackOnPort8470() {
        WebSettings s = WebSettings.from(new StandardEnvironment());
        assertThat(s.port()).isEqualTo(8470).isEqualTo(WebSettings.DEFAULT_PORT);
        assertThat(s.address()).isEqualTo("127.0.0.1");
        assertThat(s.hostNames()).containsExactlyInAnyOrder("localhost", "127.0.0.1", "::1");
        assertThat(s.url(8470)).isEqualTo("http://127.0.0.1:8470/");
        WebSettings any = settings("diffusion.web.address", "0.0.0.0");
        assertThat(any.hostNames()).as("the wildcard is no host name").containsExactlyInAnyOrder("localhost", "127.0.0.1", "::1");
        assertThat(any.url(1234)).isEqualTo("http://127.0.0.1:1234/");
        assertThat(settings("diffusion.web.address", "::1").url(1234)).isEqualTo("http://[::1]:1234/");
        assertThat(settings("diffusion.web.address", "10.1.2.3").hostNames()).contains("10.1.2.3");
    }

    @Test
    void minusOneIsNoWebServerAtAll() {
        try (ConfigurableApplicationContext ctx = start("--diffusion.web.port=-1")) {
            assertThat(ctx.isRunning()).isTrue();
            assertThat(ctx).isNotInstanceOf(WebServerApplicationContext.class);
            assertThat(ctx.getBeanProvider(Dashboard.class).getIfAvailable()).isNull();
        }
    }

    @Test
    void aBusyPortLeavesTheServerRunningWithoutTheDashboard() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ConfigurableApplicationContext ctx = start("--diffusion.web.port=" + taken.getLocalPort())) {
            assertThat(ctx.isRunning()).isTrue();
            Dashboard d = ctx.getBean(Dashboard.class);
            assertThat(d.port()).isEqualTo(-1);
            assertThat(d.url()).isEmpty();
        }
    }

    @Test
    void zeroPicksAFreeLoopbackPortAndClosingReleasesIt() throws Exception {
        int port;
        HttpClient http = HttpClient.newHttpClient();
        try (ConfigurableApplicationContext ctx = start("--diffusion.web.port=0")) {
            Dashboard d = ctx.getBean(Dashboard.class);
            port = d.port();
            assertThat(port).isPositive().isNotEqualTo(WebSettings.DEFAULT_PORT);
            assertThat(d.url()).hasValue(URI.create("http://127.0.0.1:" + port + "/"));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(d.url().orElseThrow().resolve("/static/progress.js"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("/api/runs");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            String origin = "http://127.0.0.1:" + port;
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(d.url().orElseThrow().resolve("/static/progress.js"))
                    .header("Origin", origin)
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).contains("method POST not allowed here; use GET or HEAD");
            assertThat(post.body()).doesNotContain("Exception").doesNotContain("\tat ");
            HttpResponse<String> crossSite = http.send(HttpRequest.newBuilder(d.url().orElseThrow())
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(crossSite.statusCode()).as("a POST without Origin").isEqualTo(403);
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(d.url().orElseThrow().resolve("/nowhere")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("no page /nowhere");
        }
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void byDefaultOnlyTheLoopbackAddressListens() throws Exception {
        Optional<InetAddress> other = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst();
        Assumptions.assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address");
        try (ConfigurableApplicationContext ctx = start("--diffusion.web.port=0")) {
            int port = ctx.getBean(Dashboard.class).port();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(s.isConnected()).isTrue();
            }
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(other.get(), port), 2000);
                }
            }).as("not reachable on " + other.get()).isInstanceOf(IOException.class);
        }
        // diffusion.web.address=0.0.0.0: reachable on that address, but a Host header must still be an allowed name
        try (ConfigurableApplicationContext ctx = start("--diffusion.web.port=0", "--diffusion.web.address=0.0.0.0",
                "--diffusion.web.allowed-hosts=dash.example")) {
            int port = ctx.getBean(Dashboard.class).port();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(other.get(), port), 2000);
                assertThat(s.isConnected()).isTrue();
            }
            String get = "GET /static/progress.js HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n";
            assertThat(status(raw(port, get.formatted("dash.example:" + port)))).isEqualTo(200);
            assertThat(status(raw(port, get.formatted(other.get().getHostAddress() + ":" + port)))).isEqualTo(421);
            assertThat(status(raw(port, get.formatted("localhost:" + port)))).as("the list replaces the default names")
                    .isEqualTo(421);
        }
    }
}
