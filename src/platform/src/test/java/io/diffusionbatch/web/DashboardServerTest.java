package io.diffusionbatch.web;

import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server's port setting and lifecycle, without a ledger. */
class DashboardServerTest {

    private static DashboardServer server(String port) {
        StandardEnvironment env = new StandardEnvironment();
        if (port != null) {
            env.getPropertySources().addFirst(new MapPropertySource("test", Map.of("diffusion.web.port", port)));
        }
        return new DashboardServer(null, null, null, null, null, env);
    }

    @Test
    void portMustBeMinusOneZeroOrAPortNumber() {
        for (String bad : new String[]{"-2", "65536", "http", ""}) {
            assertThatThrownBy(() -> server(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("diffusion.web.port: must be -1 (off), 0 (a free port) or 1..65535, was '" + bad + "'");
        }
    }

    @Test
    void minusOneIsOff() {
        DashboardServer s = server("-1");
        s.start();
        assertThat(s.isRunning()).isFalse();
        assertThat(s.port()).isEqualTo(-1);
        assertThat(s.url()).isEmpty();
    }

    @Test
    void aBusyPortLeavesTheServerRunningWithoutTheDashboard() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            DashboardServer s = server(Integer.toString(taken.getLocalPort()));
            s.start();
            assertThat(s.isRunning()).isFalse();
            assertThat(s.port()).isEqualTo(-1);
        }
    }

    @Test
    void zeroPicksAFreeLoopbackPortAndStopReleasesIt() throws Exception {
        DashboardServer s = server("0");
        s.start();
        try {
            assertThat(s.port()).isPositive();
            assertThat(s.url()).hasValue(URI.create("http://127.0.0.1:" + s.port() + "/"));
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    s.url().orElseThrow().resolve("/static/progress.js")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("/api/runs");
            HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.url().orElseThrow())
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).contains("method POST not allowed here; use GET or HEAD");
        } finally {
            s.stop();
        }
        assertThat(s.isRunning()).isFalse();
    }
}
