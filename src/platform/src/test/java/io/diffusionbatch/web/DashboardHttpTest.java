package io.diffusionbatch.web;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every page of the dashboard over plain HTTP against the test server (real Kafka, Postgres, ONNX),
 * and its guards: the Host check, the same-origin check of POSTs, files only inside the output root.
 */
class DashboardHttpTest {

    static final String EVIL = "a <script>alert('x')</script> & \"quoted\" circle";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestServer server;
    private static RequestRow run;
    private static String base;
    private static String origin;

    @BeforeAll
    static void oneRun() {
        server = TestServer.get();
        base = server.bean(Dashboard.class).url().orElseThrow().toString();
        origin = base.substring(0, base.length() - 1);
        String id = TestServer.uniqueId("dash");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny",
                 "prompts": [%s, "a plain square"],
                 "seeds": {"count": 2, "base": 11}, "params": {"sampler": "euler", "steps": 3, "guidance": 2.0},
                 "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, JSON.writeValueAsString(EVIL), id)).getBytes(StandardCharsets.UTF_8));
        run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).as(String.valueOf(run.message())).isEqualTo(RunStatus.COMPLETED);
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path.substring(1))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listsRunsWithProgressAndEscapedRequestIds() throws Exception {
        HttpResponse<String> r = get("/");
        assertThat(r.statusCode()).isEqualTo(200);
        // text/html; charset=utf-8 (Tomcat writes it as text/html;charset=UTF-8: the same media type)
        assertThat(MediaType.parseMediaType(r.headers().firstValue("Content-Type").orElseThrow()))
                .isEqualTo(new MediaType("text", "html", StandardCharsets.UTF_8));
        assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(RequestGuard.CSP);
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(r.body()).contains("href=\"/runs/" + run.id() + "\"").contains(run.clientRequestId())
                .contains("<span class=\"count\">4 / 4</span>").contains(">euler<");
    }

    @Test
    void runPageShowsFiguresStageTimesAndTheContactSheetWithEscapedPrompts() throws Exception {
        HttpResponse<String> r = get("/runs/" + run.id());
        assertThat(r.statusCode()).isEqualTo(200);
        String html = r.body();
        RunFigures f = server.bean(RunFiguresReader.class).read(run.id()).orElseThrow();
        for (Map.Entry<String, Object> e : f.columns().entrySet()) {
            assertThat(html).contains("<th>" + Templates.esc(e.getKey()) + "</th><td class=\"num\" data-figure=\""
                    + Templates.esc(e.getKey()) + "\">" + Templates.esc(Format.figure(e.getValue())) + "</td>");
        }
        assertThat(html).contains("data-figure=\"FID\">–<").contains("data-figure=\"NFE\">6.000<");
        for (int i = 0; i < 4; i++) {
            assertThat(html).contains("<img class=\"thumb\" src=\"/files/" + run.id() + "/" + i + "\"");
        }
        assertThat(html).doesNotContain("<script>alert").contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;");
        assertThat(html).contains("<svg").contains(">denoise<");
        // the denoise bar's value is the mean of the item rows
        double denoise = server.jdbc().sql("SELECT avg(denoise_seconds) FROM item_stats WHERE request_id = ?")
                .param(run.id()).query(Double.class).single();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("data-value=\"([0-9.]+)\"><title>denoise").matcher(html);
        assertThat(m.find()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isCloseTo(denoise, within(0.006));
    }

    @Test
    void itemPageShowsFullProvenanceAndReproduceMatches() throws Exception {
        Map<String, Object> row = server.jdbc().sql("SELECT o.sha256, o.path, i.seed FROM outputs o JOIN items i USING (request_id, idx) "
                + "WHERE o.request_id = ? AND o.idx = 0").param(run.id()).query().singleRow();
        HttpResponse<String> r = get("/items/" + run.id() + "/0");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("<code id=\"sha256\">" + row.get("sha256") + "</code>")
                .contains("<th>seed</th><td>" + row.get("seed") + "</td>")
                .contains(Templates.esc(EVIL)).doesNotContain("<script>alert")
                .contains("<th>model_sha256</th>").contains("<th>denoise_seconds</th>").contains("&quot;sampler&quot;")
                .contains(Templates.esc(server.runDir(run).resolve((String) row.get("path"))))
                .contains("action=\"/items/" + run.id() + "/0/reproduce\"");

        HttpResponse<String> rep = HTTP.send(HttpRequest.newBuilder(URI.create(base + "items/" + run.id() + "/0/reproduce"))
                .header("Origin", origin).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(rep.statusCode()).isEqualTo(200);
        assertThat(rep.body()).contains("data-outcome=\"match\"")
                .contains("<code id=\"stored-sha256\">" + row.get("sha256") + "</code>")
                .contains("<code id=\"new-sha256\">" + row.get("sha256") + "</code>");
        assertThat(get("/items/" + run.id() + "/0/reproduce").statusCode()).isEqualTo(405);
    }

    @Test
    void filesAreTheOutputBytesFromTheLedgersPath() throws Exception {
        for (int i = 0; i < 4; i++) {
            String path = server.jdbc().sql("SELECT path FROM outputs WHERE request_id = ? AND idx = ?")
                    .params(run.id(), i).query(String.class).single();
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "files/" + run.id() + "/" + i)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
            assertThat(r.body()).isEqualTo(Files.readAllBytes(server.runDir(run).resolve(path)));
        }
    }

    @Test
    void aLedgerPathOutsideTheRunFolderIsNeverServed() throws Exception {
        String id = TestServer.uniqueId("dash-escape");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a dot"], "seeds": [1],
                 "params": {"steps": 2}, "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow other = server.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(get("/files/" + other.id() + "/0").statusCode()).isEqualTo(200);
        Path outside = server.dataDir().resolve("services.json");
        assertThat(outside).exists();
        server.jdbc().sql("UPDATE outputs SET path = ? WHERE request_id = ? AND idx = 0")
                .params("../../../services.json", other.id()).update();
        HttpResponse<String> r = get("/files/" + other.id() + "/0");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).doesNotContain("jdbcUrl");
    }

    @Test
    void largeRunsArePaginated() throws Exception {
        String id = TestServer.uniqueId("dash-pages");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a speck"], "seeds": {"count": 50, "base": 0},
                 "params": {"steps": 1, "guidance": 1.0}, "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow big = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(big.status()).isEqualTo(RunStatus.COMPLETED);
        String first = get("/runs/" + big.id()).body();
        assertThat(count(first, "<img class=\"thumb\"")).isEqualTo(Views.SHEET_PAGE);
        assertThat(first).contains("page 1 of 2").contains("href=\"/runs/" + big.id() + "?page=2\"")
                .contains("src=\"/files/" + big.id() + "/47\"").doesNotContain("src=\"/files/" + big.id() + "/48\"");
        String second = get("/runs/" + big.id() + "?page=2").body();
        assertThat(count(second, "<img class=\"thumb\"")).isEqualTo(2);
        assertThat(second).contains("page 2 of 2").contains("src=\"/files/" + big.id() + "/48\"")
                .contains("src=\"/files/" + big.id() + "/49\"").contains("href=\"/runs/" + big.id() + "?page=1\"");
        assertThat(get("/runs/" + big.id() + "?page=3").statusCode()).isEqualTo(404);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void qualityPageChartsTheRunsWhoseQualityWasMeasured() throws Exception {
        // a run of the bundled shapes-ldm (the test catalog's "shapes"), judged by shapes-eval in its assess step
        String id = TestServer.uniqueId("dash-q");
        server.send(id, ("{\"requestId\": \"" + id + "\", \"kind\": \"image\", \"model\": \"shapes\", \"prompts\": "
                + "[\"a large red circle in the centre on a white background\", "
                + "\"a small blue square at the top left on a black background\"], \"params\": {\"sampler\": \"euler\", "
                + "\"steps\": 5, \"guidance\": 5.0}, \"output\": {\"location\": \"dash-q\", \"format\": \"png\"}}")
                .getBytes(StandardCharsets.UTF_8));
        RequestRow q = server.awaitFinished(id, Duration.ofSeconds(120));
        HttpResponse<String> r = get("/quality");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("no measured runs yet").contains("shapes · euler")
                .contains("href=\"/runs/" + q.id() + "\"");
    }

    @Test
    void rejectedInputsAreListedWithTheirReasonsEscaped() throws Exception {
        String key = TestServer.uniqueId("dash-bad");
        server.send(key, ("{\"requestId\": \"<b>" + key + "</b>\", \"kind\": \"image\"}").getBytes(StandardCharsets.UTF_8));
        RejectionStore store = server.bean(RejectionStore.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (store.latest(50).stream().noneMatch(x -> x.reasonsJson().contains(key)) && System.nanoTime() < deadline) {
            TestServer.sleep(100);
        }
        HttpResponse<String> r = get("/rejected");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("&lt;b&gt;" + key + "&lt;/b&gt;").doesNotContain("<b>" + key)
                .contains("<code>requestId</code>").contains("<code>model</code>");
    }

    @Test
    void jsonEndpointsGiveProgressAndFigures() throws Exception {
        HttpResponse<String> list = get("/api/runs");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode mine = null;
        for (JsonNode n : JSON.readTree(list.body()).get("runs")) {
            if (n.get("id").asLong() == run.id()) {
                mine = n;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("done").asLong()).isEqualTo(4);
        assertThat(mine.get("total").asLong()).isEqualTo(4);
        assertThat(mine.get("finished").asBoolean()).isTrue();
        JsonNode one = JSON.readTree(get("/api/runs/" + run.id()).body());
        assertThat(one.get("status").asString()).isEqualTo("completed");
        assertThat(one.get("sampler").asString()).isEqualTo("euler");
        assertThat(one.get("steps").asInt()).isEqualTo(3);
        assertThat(one.get("figures").get("NFE").asDouble()).isEqualTo(6.0); // 3 steps × 2 (guidance 2 > 1)
        assertThat(one.get("figures").get("FID").isNull()).isTrue();
        // what the run page's progress script polls: the run as the list shows it, without the figures
        JsonNode progress = JSON.readTree(get("/api/runs/" + run.id() + "/progress").body());
        assertThat(progress).isEqualTo(mine);
        assertThat(progress.has("figures")).isFalse();
        assertThat(get("/api/runs/987654321/progress").statusCode()).isEqualTo(404);
        HttpResponse<String> bad = get("/api/runs/abc");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("error").asString()).contains("run id");
    }

    @Test
    void badInputGetsA400Or404PageWithAClearMessageAndNoStackTrace() throws Exception {
        long items = 4;
        // messages as typed; the page shows them escaped as the templates escape every value
        Object[][] cases = {
                {"/runs/abc", 400, "run id: must be a whole number >= 1, was 'abc'"},
                {"/runs/0", 400, "run id: must be a whole number >= 1"},
                {"/runs/987654321", 404, "no run 987654321"},
                {"/runs/" + run.id() + "?page=0", 400, "page: must be a whole number >= 1"},
                {"/runs/" + run.id() + "?page=x", 400, "page: must be a whole number >= 1"},
                {"/runs/" + run.id() + "?page=2", 404, "has 1 page(s)"},
                {"/items/" + run.id() + "/99", 404, "run " + run.id() + " has no item 99 (it has " + items + " items, 0..3)"},
                {"/items/" + run.id() + "/-1", 400, "item index: must be a whole number >= 0"},
                {"/items/x/1", 400, "run id: must be a whole number"},
                {"/items/987654321/0", 404, "no run 987654321"},
                {"/files/" + run.id() + "/99", 404, "has no item 99"},
                {"/files/" + run.id() + "/abc", 400, "item index"},
                {"/nowhere", 404, "no page /nowhere"},
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = get((String) c[0]);
            assertThat(r.statusCode()).as((String) c[0]).isEqualTo(c[1]);
            assertThat(r.body()).as((String) c[0]).contains(Templates.esc(c[2])).doesNotContain("Exception")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void theDashboardUrlIsLoggedInServicesJson() throws Exception {
        JsonNode n = JSON.readTree(Files.readString(server.dataDir().resolve("services.json")));
        assertThat(n.get("dashboardUrl").asString()).isEqualTo(base);
        assertThat(server.bean(Dashboard.class).port()).isPositive().isNotEqualTo(WebSettings.DEFAULT_PORT);
    }

    private static int port() {
        return URI.create(base).getPort();
    }

    @Test
    void probesAndScrapesAnswerThePodAddressButNothingElseDoes() throws Exception {
        String get = "GET %s HTTP/1.1\r\nHost: 10.42.0.7:" + port() + "\r\nConnection: close\r\n\r\n";
        for (String path : new String[]{"/actuator/health/readiness", "/actuator/health/liveness", "/actuator/health",
                "/actuator/prometheus"}) {
            String answer = DashboardServerTest.raw(port(), get.formatted(path));
            assertThat(DashboardServerTest.status(answer)).as(path).isEqualTo(200);
        }
        for (String path : new String[]{"/actuator/info", "/api/runs", "/", "/actuator/healthz", "/actuator/health-x"}) {
            assertThat(DashboardServerTest.status(DashboardServerTest.raw(port(), get.formatted(path)))).as(path)
                    .isEqualTo(421);
        }
        String post = "POST /actuator/health HTTP/1.1\r\nHost: 10.42.0.7\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        assertThat(DashboardServerTest.status(DashboardServerTest.raw(port(), post))).isEqualTo(421);
    }

    @Test
    void onlyTheConfiguredHostNamesAreAnswered() throws Exception {
        String get = "GET /api/runs HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n";
        for (String host : new String[]{"127.0.0.1:" + port(), "localhost:" + port(), "LOCALHOST", "[::1]:" + port()}) {
            assertThat(DashboardServerTest.status(DashboardServerTest.raw(port(), get.formatted(host)))).as(host).isEqualTo(200);
        }
        // a page of another site whose name resolves to this machine (DNS rebinding) gets nothing
        for (String host : new String[]{"evil.example:" + port(), "evil.example", "127.0.0.1.evil.example", "localhost.",
                "10.0.0.1:" + port()}) {
            String answer = DashboardServerTest.raw(port(), get.formatted(host));
            assertThat(DashboardServerTest.status(answer)).as(host).isEqualTo(421);
            assertThat(answer).doesNotContain("\"runs\"").doesNotContain(run.clientRequestId());
        }
        String noHost = DashboardServerTest.raw(port(), "GET / HTTP/1.0\r\n\r\n");
        assertThat(DashboardServerTest.status(noHost)).isEqualTo(421);
        String page = DashboardServerTest.raw(port(), "GET /runs/%d HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
                .formatted(run.id()));
        assertThat(DashboardServerTest.status(page)).isEqualTo(421);
        assertThat(page).doesNotContain(run.clientRequestId()).contains("diffusion.web.allowed-hosts");
    }

    private static HttpResponse<String> reproduce(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path.substring(1)))
                .POST(HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCrossSitePostIsRefusedBeforeAnythingIsReproduced() throws Exception {
        String path = "/items/" + run.id() + "/1/reproduce";
        List<Map<String, String>> refused = List.of(
                Map.of("Origin", "http://evil.example"),
                Map.of("Origin", "null"),
                Map.of("Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"),
                Map.of("Origin", origin, "Sec-Fetch-Site", "cross-site"), // the browser's word wins
                Map.of("Origin", origin.replace("127.0.0.1", "localhost")), // another origin, even if the same machine
                Map.of("Sec-Fetch-Site", "same-site"),
                Map.of()); // no Origin at all: not from a page of the dashboard
        for (Map<String, String> headers : refused) {
            HttpResponse<String> r = reproduce(path, headers);
            assertThat(r.statusCode()).as(headers.toString()).isEqualTo(403);
            assertThat(r.body()).as(headers.toString()).contains("accepted from the dashboard's own pages only")
                    .doesNotContain("data-outcome").doesNotContain("sha256");
        }
        // refused before any handler runs: an item that does not exist gets 403 too, not 404
        assertThat(reproduce("/items/" + run.id() + "/99/reproduce", Map.of("Origin", "http://evil.example")).statusCode())
                .isEqualTo(403);
        assertThat(reproduce("/items/" + run.id() + "/99/reproduce", Map.of("Origin", origin)).statusCode()).isEqualTo(404);
        // the browser's same-origin word alone is enough
        HttpResponse<String> ok = reproduce(path, Map.of("Sec-Fetch-Site", "same-origin"));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("data-outcome=\"match\"");
    }

    @Test
    void aSymlinkIsNeverFollowedAndOnlyTheLedgersBytesAreServed() throws Exception {
        String id = TestServer.uniqueId("dash-link");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a ring"], "seeds": [1, 2],
                 "params": {"steps": 2}, "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow linked = server.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(linked.status()).isEqualTo(RunStatus.COMPLETED);
        Path dir = server.runDir(linked);
        String second = server.jdbc().sql("SELECT path FROM outputs WHERE request_id = ? AND idx = 1")
                .param(linked.id()).query(String.class).single();
        // out of the output root: services.json (the database URL) sits next to it
        Path outside = server.dataDir().resolve("services.json");
        assertThat(outside).exists();
        Files.createSymbolicLink(dir.resolve("out.png"), outside);
        setPath(linked.id(), "out.png");
        HttpResponse<String> r = get("/files/" + linked.id() + "/0");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("no output file inside the output root").doesNotContain("jdbcUrl");
        // a folder inside the root is no regular file
        Files.createSymbolicLink(dir.resolve("dir.png"), dir);
        setPath(linked.id(), "dir.png");
        assertThat(get("/files/" + linked.id() + "/0").statusCode()).isEqualTo(404);
        // a missing file
        setPath(linked.id(), "gone.png");
        assertThat(get("/files/" + linked.id() + "/0").body()).contains("missing on disk");
        // a link to another output inside the root: not followed either (writers never make links)
        Files.createSymbolicLink(dir.resolve("in.png"), dir.resolve(second));
        setPath(linked.id(), "in.png");
        HttpResponse<String> in = get("/files/" + linked.id() + "/0");
        assertThat(in.statusCode()).isEqualTo(404);
        assertThat(in.body()).contains("is a symbolic link");
        // the run folder itself replaced by a link (to a copy of itself): refused
        assertThat(get("/files/" + linked.id() + "/1").statusCode()).isEqualTo(200);
        Path copy = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-copy"));
        Files.copy(dir.resolve(second), copy.resolve(second));
        Files.move(dir, dir.resolveSibling(dir.getFileName() + "-moved"));
        Files.createSymbolicLink(dir, copy);
        HttpResponse<String> viaLink = get("/files/" + linked.id() + "/1");
        assertThat(viaLink.statusCode()).isEqualTo(404);
        assertThat(viaLink.body()).contains("is a symbolic link");
    }

    @Test
    void aFileWhoseSizeOrSha256DiffersFromTheLedgerIsNotServed() throws Exception {
        String id = TestServer.uniqueId("dash-sha");
        server.send(id, ("""
                {"requestId": "%s", "kind": "image", "model": "tiny", "prompts": ["a star"], "seeds": [1],
                 "params": {"steps": 2}, "output": {"location": "dash/%s", "format": "png"}}
                """.formatted(id, id)).getBytes(StandardCharsets.UTF_8));
        RequestRow r = server.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        String path = server.jdbc().sql("SELECT path FROM outputs WHERE request_id = ? AND idx = 0")
                .param(r.id()).query(String.class).single();
        Path file = server.runDir(r).resolve(path);
        byte[] original = Files.readAllBytes(file);
        String url = "/files/" + r.id() + "/0";
        assertThat(get(url).statusCode()).isEqualTo(200); // hashed once, remembered
        // the same size, other bytes, written in place (the same inode): a new modification time tells the cache
        TestServer.sleep(20);
        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 1;
        Files.write(file, flipped);
        HttpResponse<String> changed = get(url);
        assertThat(changed.statusCode()).isEqualTo(409);
        assertThat(changed.body()).contains("differs from what the ledger recorded").contains("SHA-256");
        // truncated: the size tells at once
        Files.write(file, java.util.Arrays.copyOf(original, original.length / 2));
        HttpResponse<String> cut = get(url);
        assertThat(cut.statusCode()).isEqualTo(409);
        assertThat(cut.body()).contains((original.length / 2) + " bytes on disk, " + original.length + " in the ledger");
        // put back: served again
        Files.write(file, original);
        HttpResponse<byte[]> back = HTTP.send(HttpRequest.newBuilder(URI.create(base + url.substring(1))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(back.body()).isEqualTo(original);
    }

    private static void setPath(long run, String path) {
        server.jdbc().sql("UPDATE outputs SET path = ? WHERE request_id = ? AND idx = 0").params(path, run).update();
    }
}
