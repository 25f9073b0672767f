package io.diffusionbatch.metrics;

import io.diffusionbatch.local.LocalServices;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.web.Dashboard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kubernetes' view of a server whose database goes away: readiness is DOWN (503) while
 * PostgreSQL is stopped and UP again once it is back, and liveness stays UP throughout (the
 * process need not be restarted). A server of its own, so the shared test server's database is
 * never stopped.
 */
class ReadinessTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void readinessFollowsPostgresAndLivenessDoesNot(@TempDir Path dir) throws Exception {
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server",
                "--diffusion.data-dir=" + dir,
                "--diffusion.models.tiny.path=src/engine/src/test/resources/models/tiny-sd",
                "--diffusion.models.tiny.kind=image",
                "--diffusion.web.port=0",
                "--diffusion.energy.source=estimate",
                "--spring.datasource.hikari.connection-timeout=2000")) {
            String base = ctx.getBean(Dashboard.class).url().orElseThrow().toString();
            HttpResponse<String> ready = get(base + "actuator/health/readiness");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"UP\"").contains("\"db\"").contains("\"kafka\"")
                    .contains("\"modelCatalog\"");
            assertThat(get(base + "actuator/health/liveness").statusCode()).isEqualTo(200);
            HttpResponse<String> info = get(base + "actuator/info");
            assertThat(info.body()).contains("\"models\"").contains("\"tiny\"").containsPattern("\"sha256\":\"[0-9a-f]{64}\"");
            assertThat(info.body()).as("the build and the commit it was made from")
                    .containsPattern("\"build\":\\{[^}]*\"version\":\"[^\"]+\"")
                    .containsPattern("\"git\":\\{.*\"commit\":\\{.*\"id\":\"[0-9a-f]{7,}");

            LocalServices.Running services = ctx.getBean("localServices", LocalServices.Running.class);
            services.stopPostgres();
            try {
                HttpResponse<String> down = await(base + "actuator/health/readiness", 503, Duration.ofSeconds(60));
                assertThat(down.body()).contains("\"status\":\"DOWN\"");
                assertThat(get(base + "actuator/health/liveness").statusCode()).as("the process itself is fine").isEqualTo(200);
            } finally {
                services.startPostgres();
            }
            HttpResponse<String> back = await(base + "actuator/health/readiness", 200, Duration.ofSeconds(90));
            assertThat(back.body()).contains("\"status\":\"UP\"");
        }
    }

    /** A pod's probe names the pod's address, not a host name of the dashboard: it is answered. */
    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> await(String url, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> r = get(url);
        while (r.statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(500);
            r = get(url);
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r;
    }
}
