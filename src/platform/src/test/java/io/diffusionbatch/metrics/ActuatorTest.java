package io.diffusionbatch.metrics;

import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.web.Dashboard;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What Prometheus scrapes from a running server: every meter the README lists, with a value, and
 * counts that move by what a run did (checked against the ledger's own rows of that run).
 */
class ActuatorTest {

    /** The Prometheus names of {@link PlatformMetrics#NAMES}, as the README lists them. */
    static final String[] SCRAPED = {"diffusion_items_total", "diffusion_nfe_total", "diffusion_stage_seconds_count",
            "diffusion_stage_seconds_sum", "diffusion_gflops_total", "diffusion_energy_joules_total",
            "diffusion_items_pending", "diffusion_runs_waiting", "diffusion_intake_lag",
            "diffusion_intake_dead_letters_total", "diffusion_events_waiting"};

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theScrapeListsEveryDocumentedMeterAndCountsWhatARunDid() throws Exception {
        TestServer server = TestServer.get();
        String base = server.bean(Dashboard.class).url().orElseThrow().toString();
        Map<String, Double> before = scrape(base);

        String id = TestServer.uniqueId("metrics");
        server.send(id, io.diffusionbatch.job.GenerationJobTest.request(id, "tiny", 4, 3, 6, 0, "metrics/" + id)
                .getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        Map<String, Double> after = scrape(base);

        for (String name : SCRAPED) {
            assertThat(after.keySet()).as("the scrape has " + name).anyMatch(k -> k.startsWith(name + "{") || k.equals(name));
        }
        // the ledger's view of the same run
        Map<String, Object> rows = server.jdbc().sql("SELECT count(*) AS n, sum(nfe) AS nfe, sum(flops_per_sample) AS flops, "
                + "sum(energy_joules) AS joules, sum(denoise_seconds) AS denoise FROM item_stats WHERE request_id = ?")
                .param(run.id()).query().singleRow();
        double items = ((Number) rows.get("n")).doubleValue();
        assertThat(items).isEqualTo(12);
        assertThat(delta(before, after, "diffusion_items_total", "status=\"done\"", "model=\"tiny\"")).isEqualTo(items);
        assertThat(delta(before, after, "diffusion_nfe_total", "model=\"tiny\""))
                .isEqualTo(((Number) rows.get("nfe")).doubleValue());
        assertThat(delta(before, after, "diffusion_gflops_total", "model=\"tiny\""))
                .isCloseTo(((Number) rows.get("flops")).doubleValue() / 1e9, within(1e-9));
        assertThat(delta(before, after, "diffusion_energy_joules_total", "model=\"tiny\""))
                .isCloseTo(((Number) rows.get("joules")).doubleValue(), within(1e-6));
        assertThat(delta(before, after, "diffusion_stage_seconds_count", "stage=\"denoise\"", "model=\"tiny\""))
                .isEqualTo(items);
        assertThat(delta(before, after, "diffusion_stage_seconds_sum", "stage=\"denoise\"", "model=\"tiny\""))
                .isCloseTo(((Number) rows.get("denoise")).doubleValue(), within(1e-3));
        assertThat(value(after, "diffusion_runs_waiting")).isGreaterThanOrEqualTo(0);
        assertThat(value(after, "diffusion_items_pending")).isGreaterThanOrEqualTo(0);
    }

    /** name{labels} → value of every sample line of a Prometheus text scrape. */
    static Map<String, Double> scrape(String base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Double> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)").matcher(r.body());
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        return sum(after, name, labels) - sum(before, name, labels);
    }

    private static double value(Map<String, Double> s, String name) {
        return sum(s, name);
    }

    private static double sum(Map<String, Double> s, String name, String... labels) {
        double total = 0;
        for (Map.Entry<String, Double> e : s.entrySet()) {
            String k = e.getKey();
            if (!(k.equals(name) || k.startsWith(name + "{"))) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= k.contains(l);
            }
            if (all) {
                total += e.getValue();
            }
        }
        return total;
    }
}
