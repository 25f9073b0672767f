package io.diffusionbatch.job;

import io.diffusionbatch.ledger.RunFigures;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.platform.TestServer;
import io.diffusionbatch.quality.FeatureStats;
import io.diffusionbatch.quality.Fid;
import io.diffusionbatch.quality.ShapesEvaluator;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The assess step on a run of the bundled shapes-ldm: the evaluator's readings of the written PNGs,
 * adherence and FID stored per item and per run, and checked here from the files on disk.
 */
class AssessStepTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final TestServer server = TestServer.get();

    @Test
    void aShapesRunGetsItsAdherenceAndFidFromItsOwnFiles() throws Exception {
        String id = TestServer.uniqueId("assess");
        List<String> prompts = List.of(
                "a large red circle in the centre on a white background",
                "a small blue square at the top left on a black background",
                "a large yellow star on the right on a gray background",
                "a small green triangle at the bottom on a white background",
                "a blue star at the bottom on a white background",            // not a caption: no size
                "a red circle to the left of a blue square on a white background",
                "a large blue star in the centre on a white background");      // held out: not in the FID
        StringBuilder p = new StringBuilder();
        for (String s : prompts) {
            p.append(p.isEmpty() ? "" : ", ").append('"').append(s).append('"');
        }
        String request = """
                {"requestId": "%s", "kind": "image", "model": "shapes", "prompts": [%s], "seeds": [7],
                 "params": {"sampler": "dpmpp-2m", "steps": 12, "guidance": 5.0},
                 "output": {"location": "assess/%s", "format": "png"}}""".formatted(id, p, id);
        server.send(id, request.getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(180));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);

        QualityStore.RunQualityRow q = server.bean(QualityStore.class).find(run.id()).orElseThrow();
        assertThat(q.assessed()).isEqualTo(7);
        assertThat(q.unreadable()).isZero();
        assertThat(q.labelled()).isEqualTo(6);
        assertThat(q.fidItems()).isEqualTo(4);
        assertThat(q.evaluatorSha256()).hasSize(64);

        // each item: re-read its PNG here and judge it; the stored readings must be what the evaluator sees
        List<Map<String, Object>> rows = server.jdbc().sql("""
                SELECT o.idx, o.path, q.readings::text AS readings, q.expected::text AS expected, q.adherent
                FROM outputs o JOIN item_quality q USING (request_id, idx) WHERE o.request_id = ? ORDER BY o.idx""")
                .param(run.id()).query().listOfRows();
        assertThat(rows).hasSize(7);
        List<float[]> fidImages = new ArrayList<>();
        int adherent = 0;
        try (ShapesEvaluator evaluator = ShapesEvaluator.open(Path.of("models/shapes-eval"))) {
            for (Map<String, Object> row : rows) {
                int idx = ((Number) row.get("idx")).intValue();
                float[] image = chw(ImageIO.read(server.runDir(run).resolve((String) row.get("path")).toFile()));
                ShapesEvaluator.Reading reading = evaluator.judgeImages(List.of(image)).get(0);
                assertThat(JSON.readTree((String) row.get("readings"))).isEqualTo(JSON.valueToTree(reading.labels()));
                if (idx == 4) {
                    assertThat(row.get("expected")).isNull();
                    assertThat(row.get("adherent")).isNull();
                    continue;
                }
                JsonNode expected = JSON.readTree((String) row.get("expected"));
                boolean all = true;
                for (var e : expected.properties()) {
                    all &= e.getValue().asString().equals(reading.labels().get(e.getKey()));
                }
                assertThat(row.get("adherent")).as("item %d", idx).isEqualTo(all);
                adherent += all ? 1 : 0;
                if (idx <= 3) {
                    fidImages.add(reading.features());
                }
            }
            assertThat(q.adherent()).isEqualTo(adherent);
            assertThat(q.adherence()).isCloseTo(adherent / 6.0, within(1e-12));
            assertThat(q.fid()).isCloseTo(Fid.distance(FeatureStats.of(fidImages), evaluator.imageReference()),
                    within(1e-9));
        }
        // the bundled model follows these captions (99 % on 500 prompts): a broken reading would not
        assertThat(q.adherence()).isGreaterThanOrEqualTo(5 / 6.0);

        RunFigures f = server.bean(RunFiguresReader.class).read(run.id()).orElseThrow();
        assertThat(f.fid()).isEqualTo(q.fid());
        assertThat(f.adherence()).isEqualTo(q.adherence());
        // the final event carries them too
        assertThat(server.jdbc().sql("SELECT detail->>'adherence' FROM request_events WHERE request_id = ? AND type = 'completed'")
                .param(run.id()).query(String.class).single()).isEqualTo(String.valueOf(q.adherence()));
    }

    @Test
    void aConsistencyModelRunsItsOwnDefaultsWhenTheRequestSetsNone() {
        String id = TestServer.uniqueId("assess-lcm");
        String request = """
                {"requestId": "%s", "kind": "image", "model": "shapes-lcm",
                 "prompts": ["a large red circle in the centre on a white background",
                             "a green square to the left of a yellow star on a black background"],
                 "seeds": [5], "output": {"location": "assess/%s", "format": "png"}}""".formatted(id, id);
        server.send(id, request.getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        List<Map<String, Object>> stats = server.jdbc().sql(
                "SELECT DISTINCT sampler, steps, nfe, guidance FROM item_stats WHERE request_id = ?").param(run.id())
                .query().listOfRows();
        assertThat(stats).containsExactly(Map.of("sampler", "lcm", "steps", 4, "nfe", 4, "guidance", 1.0));
        QualityStore.RunQualityRow q = server.bean(QualityStore.class).find(run.id()).orElseThrow();
        assertThat(q.labelled()).isEqualTo(2);
        // 98 % of singles and pairs at 4 steps (models/shapes-lcm/README.md): both should be right
        assertThat(q.adherent()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void videoRunsAreJudgedFromTheirGifsWithoutFid() {
        String id = TestServer.uniqueId("assess-video");
        String request = """
                {"requestId": "%s", "kind": "video", "model": "shapes-video",
                 "prompts": ["a red circle moving right on a black background", "a free-text clip of a sunset"],
                 "seeds": [3], "params": {"sampler": "dpmpp-2m", "steps": 6, "guidance": 5.0},
                 "output": {"location": "assess/%s", "format": "gif"}}""".formatted(id, id);
        server.send(id, request.getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(180));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        QualityStore.RunQualityRow q = server.bean(QualityStore.class).find(run.id()).orElseThrow();
        assertThat(q.assessed()).isEqualTo(2);
        assertThat(q.unreadable()).isZero();
        assertThat(q.labelled()).isEqualTo(1);
        assertThat(q.fid()).isNull();
        assertThat(q.byGroupJson()).contains("\"video\"").contains("direction");
        String readings = server.jdbc().sql("SELECT readings::text FROM item_quality WHERE request_id = ? AND idx = 0")
                .param(run.id()).query(String.class).single();
        assertThat(readings).contains("\"direction\"").contains("\"background\"");
    }

    @Test
    void aModelWithoutEvaluatorGetsNoQualityRow() {
        String id = TestServer.uniqueId("noeval");
        server.send(id, GenerationJobTest.request(id, "tiny", 1, 1, 2, 0, "noeval/" + id).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(server.bean(QualityStore.class).find(run.id())).isEmpty();
        assertThat(server.bean(RunFiguresReader.class).read(run.id()).orElseThrow().fid()).isNull();
    }

    private static float[] chw(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] out = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[y * w + x] = ((rgb >> 16) & 0xFF) / 127.5f - 1;
                out[h * w + y * w + x] = ((rgb >> 8) & 0xFF) / 127.5f - 1;
                out[2 * h * w + y * w + x] = (rgb & 0xFF) / 127.5f - 1;
            }
        }
        return out;
    }
}
