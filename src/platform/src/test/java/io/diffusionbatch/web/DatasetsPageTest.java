package io.diffusionbatch.web;

import io.diffusionbatch.ledger.DatasetFixture;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /datasets} and {@code /datasets/RUN/card} over HTTP against the test server, on dataset nights written
 * into its ledger as the export step writes them: the page lists each dataset's nights with run links, statuses
 * (escaped), counts, gate and card links; the card is served as plain text from the export folder only while it is
 * the ledger's, and a night without one, an unknown run or a folder outside the output root is a 404.
 */
class DatasetsPageTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String CARD = "# shapes <nightly>\n\nA dataset card & its <b>text</b>.\n";

    private static TestServer server;
    private static String base;
    private static String name;
    private static long exported;
    private static long generating;
    private static long gated;
    private static Path card;

    @BeforeAll
    static void nights() throws Exception {
        server = TestServer.get();
        base = server.bean(Dashboard.class).url().orElseThrow().toString();
        DatasetFixture rows = new DatasetFixture(server.jdbc());
        name = TestServer.uniqueId("web");
        String dir = "datasets/" + name + "/2026-05-01";
        card = server.outputRoot().resolve(dir).resolve("README.md");
        Files.createDirectories(card.getParent());
        Files.writeString(card, CARD);
        exported = rows.request(name, "2026-05-01", "completed", null);
        rows.exported(exported, name, "2026-05-01", "exported", true, null, dir, sha256(CARD));
        gated = rows.request(name, "2026-05-02", "completed", null);
        rows.exported(gated, name, "2026-05-02", "failed", false, "rejected <b>30 %</b> & more", dir, "0".repeat(64));
        generating = rows.request(name, "2026-05-03", "running", null);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path.substring(1))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void thePageListsTheNightsOfEachDataset() throws Exception {
        HttpResponse<String> r = get("/datasets");
        assertThat(r.statusCode()).isEqualTo(200);
        String html = r.body();
        assertThat(html).contains("<a href=\"/datasets\">datasets</a>").contains("<h2>" + name + "</h2>");
        String table = html.substring(html.indexOf("data-dataset=\"" + name + "\""));
        table = table.substring(0, table.indexOf("</table>"));
        assertThat(table.indexOf("2026-05-03")).isLessThan(table.indexOf("2026-05-02"));
        assertThat(table.indexOf("2026-05-02")).isLessThan(table.indexOf("2026-05-01"));
        assertThat(table).contains("<a href=\"/runs/" + exported + "\">" + exported + "</a>")
                .contains("data-night-status=\"" + exported + "\">exported<")
                .contains("data-night-status=\"" + generating + "\">generating<")
                .contains("<a href=\"/datasets/" + exported + "/card\">README.md</a>")
                .doesNotContain("/datasets/" + generating + "/card")
                .contains("<td class=\"num\">8</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">10</td>"
                        + "<td>train 7, validation 1</td><td>passed</td>")
                .contains("rejected &lt;b&gt;30 %&lt;/b&gt; &amp; more").doesNotContain("<b>30");
        assertThat(get("/").body()).contains("<a href=\"/datasets\">datasets</a>");
    }

    @Test
    void theCardIsServedAsPlainTextWhileItIsTheLedgers() throws Exception {
        HttpResponse<String> r = get("/datasets/" + exported + "/card");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(MediaType.parseMediaType(r.headers().firstValue("Content-Type").orElseThrow()))
                .isEqualTo(new MediaType("text", "plain", StandardCharsets.UTF_8));
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.body()).isEqualTo(CARD);

        HttpResponse<String> changed = get("/datasets/" + gated + "/card");
        assertThat(changed.statusCode()).as("the ledger's SHA-256 is not the file's").isEqualTo(409);
        assertThat(changed.body()).contains("differs from what the ledger recorded");
    }

    @Test
    void unknownRunsNightsWithoutAnExportAndFoldersOutsideTheRootAre404() throws Exception {
        assertThat(get("/datasets/999999999999/card").statusCode()).isEqualTo(404);
        HttpResponse<String> none = get("/datasets/" + generating + "/card");
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.body()).contains("has no export");
        assertThat(get("/datasets/abc/card").statusCode()).isEqualTo(400);
        HttpResponse<String> traversal = get("/datasets/" + exported + "/..%2F..%2Fetc%2Fpasswd");
        assertThat(traversal.statusCode()).as("Tomcat refuses an encoded slash").isIn(400, 404);
        assertThat(traversal.body()).doesNotContain("root:");

        DatasetFixture rows = new DatasetFixture(server.jdbc());
        long outside = rows.request(name, "2026-05-04", "completed", null);
        rows.exported(outside, name, "2026-05-04", "exported", true, null, "../../..", sha256(CARD));
        HttpResponse<String> refused = get("/datasets/" + outside + "/card");
        assertThat(refused.statusCode()).isEqualTo(404);
        assertThat(refused.body()).contains("inside the output root");
    }
}
