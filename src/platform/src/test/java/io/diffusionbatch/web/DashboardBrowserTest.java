package io.diffusionbatch.web;

import io.diffusionbatch.audit.RunFigures;
import io.diffusionbatch.audit.RunFiguresReader;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser: headless Chromium over the DevTools Protocol loads a run page,
 * decodes every thumbnail, shows the figures and the progress the script fetched, and a click on
 * "reproduce" shows a match. Skipped only when no Chromium is installed ({@code .ci/run} installs it).
 */
class DashboardBrowserTest {

    private static final int LIVE_ITEMS = 24;
    private static final int LIVE_STEPS = 25;

    /** With {@code -Ddashboard.screenshots=DIR}, saves what the browser shows (for looking at the pages). */
    private static void shoot(Chromium browser, String name) throws Exception {
        String dir = System.getProperty("dashboard.screenshots");
        if (dir != null) {
            java.nio.file.Files.createDirectories(Path.of(dir));
            browser.screenshot(Path.of(dir, name + ".png"));
        }
    }

    @Test
    void runPageDecodesThumbnailsShowsFiguresAndProgressAndReproduceMatches() throws Exception {
        Optional<Path> binary = Chromium.binary();
        Assumptions.assumeTrue(binary.isPresent(),
                "no chromium binary (/usr/bin/chromium): install it with apt-get install -y chromium to run this test");
        TestServer server = TestServer.get();
        String base = server.bean(Dashboard.class).url().orElseThrow().toString();
        String id = TestServer.uniqueId("dash-browser");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a \\"><img src=x onerror=alert(1)> ring", "a cube"],
                 "seeds": {"count": 3, "base": 5}, "params": {"sampler": "ddim", "steps": 2, "guidance": 3.0},
                 "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo("completed");
        RunFigures figures = server.bean(RunFiguresReader.class).read(run.id()).orElseThrow();
        String sha = server.jdbc().sql("SELECT sha256 FROM outputs WHERE request_id = ? AND idx = 1").param(run.id())
                .query(String.class).single();

        List<ProcessHandle> processes;
        long t0 = System.nanoTime();
        try (Chromium browser = Chromium.launch(binary.get())) {
            // live progress: the runs list is loaded while a run is running, and the script alone
            // (the list never reloads) brings its row to completed with every item done
            String live = TestServer.uniqueId("dash-live");
            server.send(live, ("""
                    {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a slow square"],
                     "seeds": {"count": %d, "base": 1}, "params": {"sampler": "ddim", "steps": %d, "guidance": 3.0},
                     "output": {"location": "dash/%s", "format": "png"}}
                    """.formatted(live, LIVE_ITEMS, LIVE_STEPS, live)).getBytes(StandardCharsets.UTF_8));
            RequestRow running = server.awaitRun(live, r -> r.status().equals("running"), Duration.ofSeconds(60));
            long t1 = System.nanoTime();
            browser.navigate(base);
            String status = "document.querySelector('[data-status=\"" + running.id() + "\"]').textContent";
            String count = "document.querySelector('[data-progress=\"" + running.id() + "\"] .count').textContent";
            JsonNode first = browser.eval("({status: " + status + ", count: " + count + "})");
            assertThat(first.get("status").asString()).as("the run was still running when the list loaded").isEqualTo("running");
            browser.waitFor(status + " === 'completed' && " + count + " === '" + LIVE_ITEMS + " / " + LIVE_ITEMS + "'",
                    Duration.ofSeconds(60));
            assertThat(browser.eval("Number(document.body.dataset.polls)").asInt()).isGreaterThanOrEqualTo(2);
            System.out.printf("live run watched for %.1f s, first seen %s%n", (System.nanoTime() - t1) / 1e9, first);

            shoot(browser, "runs");
            browser.navigate(base + "runs/" + run.id());
            // every thumbnail decoded by the browser
            browser.waitFor("document.querySelectorAll('img.thumb').length === 6 && "
                    + "Array.from(document.querySelectorAll('img.thumb')).every(i => i.complete && i.naturalWidth > 0)",
                    Duration.ofSeconds(10));
            shoot(browser, "run");
            // the progress script ran against /api/runs/ID and wrote what it fetched
            browser.waitFor("Number(document.body.dataset.polls || 0) >= 1", Duration.ofSeconds(10));
            JsonNode page = browser.eval("""
                    ({progress: document.querySelector('[data-progress] .count').textContent,
                      bar: document.querySelector('[data-progress] .bar i').style.width,
                      status: document.querySelector('[data-status]').textContent,
                      nfe: document.querySelector('[data-figure="NFE"]').textContent,
                      fid: document.querySelector('[data-figure="FID"]').textContent,
                      figures: document.querySelectorAll('#figures tr').length,
                      bars: document.querySelectorAll('svg.bars rect').length,
                      injected: document.querySelectorAll('img:not(.thumb)').length,
                      width: document.querySelector('img.thumb').naturalWidth})""");
            assertThat(page.get("progress").asString()).isEqualTo("6 / 6");
            assertThat(page.get("bar").asString()).isEqualTo("100%");
            assertThat(page.get("status").asString()).isEqualTo("completed");
            assertThat(page.get("nfe").asString()).isEqualTo(Format.figure(figures.nfe())).isEqualTo("4.000");
            assertThat(page.get("fid").asString()).isEqualTo("–");
            assertThat(page.get("figures").asInt()).isEqualTo(figures.columns().size());
            assertThat(page.get("bars").asInt()).isEqualTo(5);
            assertThat(page.get("injected").asInt()).as("the prompt's <img> stayed text").isZero();
            assertThat(page.get("width").asInt()).isPositive();

            browser.navigate(base + "items/" + run.id() + "/1");
            browser.waitFor("document.getElementById('output').naturalWidth > 0", Duration.ofSeconds(10));
            browser.eval("document.querySelector('#reproduce-form button').click(); true");
            browser.waitFor("document.getElementById('reproduce-result') !== null", Duration.ofSeconds(20));
            JsonNode result = browser.eval("""
                    ({outcome: document.getElementById('reproduce-result').dataset.outcome,
                      text: document.getElementById('reproduce-result').textContent,
                      stored: document.getElementById('stored-sha256').textContent,
                      made: document.getElementById('new-sha256').textContent})""");
            shoot(browser, "reproduced");
            assertThat(result.get("outcome").asString()).isEqualTo("match");
            assertThat(result.get("text").asString()).startsWith("match");
            assertThat(result.get("stored").asString()).isEqualTo(sha);
            assertThat(result.get("made").asString()).isEqualTo(sha);
            processes = browser.processes();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("browser part (launch, two pages, reproduce, kill): %.1f s%n", seconds);
        assertThat(processes).as("chromium and its children are gone").noneMatch(ProcessHandle::isAlive);
        assertThat(seconds).as("the browser part stays fast").isLessThan(30);
    }
}
