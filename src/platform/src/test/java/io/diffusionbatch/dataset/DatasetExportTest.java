package io.diffusionbatch.dataset;

import io.diffusionbatch.engine.json.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class DatasetExportTest {

    @TempDir
    Path tmp;

    private static DatasetSpec spec(int shardSize) throws InvalidSpecException {
        return DatasetSpecParserTest.parse(DatasetSpecParserTest.MINIMAL + "splits: {validation: 0.3}\n"
                + "export: {shardSize: " + shardSize + "}\n");
    }

    /** Writes n samples (index i: a 32x32 PNG of grey level i) and the card; returns the sha256 of SHA256SUMS. */
    private static String write(Path dir, DatasetSpec spec, int n) throws Exception {
        Files.createDirectories(dir);
        try (DatasetExport export = new DatasetExport(dir, spec)) {
            for (int i = 0; i < n; i++) {
                byte[] png = png(i);
                String prompt = "a red circle number " + i;
                ObjectNode params = Json.MAPPER.createObjectNode().put("sampler", "ddim").put("steps", 20)
                        .put("guidance", 5.0).put("width", 32).put("height", 32);
                export.add(DatasetExport.metadata(i, spec.splits().assign(prompt, i), prompt, i % 2 == 0 ? null : "blurry",
                        i, Map.of("colour", "red"), spec.model(), "a".repeat(64), sha(png), "image/png", params, null), png);
            }
            String data = export.finishData();
            export.writeCard("# card\n");
            return data;
        }
    }

    @Test
    void theSameSamplesGiveIdenticalFilesAndAnIndependentReaderLoadsThem() throws Exception {
        DatasetSpec spec = spec(3);
        String a = write(tmp.resolve("a"), spec, 20);
        String b = write(tmp.resolve("b"), spec, 20);
        assertThat(a).isEqualTo(b);
        assertThat(hashes(tmp.resolve("a"))).isEqualTo(hashes(tmp.resolve("b")));

        Path dir = tmp.resolve("a");
        List<String> sums = Files.readAllLines(dir.resolve("SHA256SUMS"));
        assertThat(sums.stream().map(l -> l.substring(66)).toList()).isSorted()
                .noneMatch(l -> l.equals("README.md") || l.equals("SHA256SUMS"));
        assertThat(sums).hasSize(hashes(dir).size() - 2);
        assertThat(Files.readAllLines(dir.resolve("train/metadata.jsonl")).size()
                + Files.readAllLines(dir.resolve("validation/metadata.jsonl")).size()).isEqualTo(20);

        Assumptions.assumeTrue(Python.available(), "python3 is not installed");
        Python.Result r = Python.tool("read_dataset.py", dir.toString(), "--shard-size", "3", "--expect-count", "20");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode summary = Json.MAPPER.readTree(r.out());
        assertThat(summary.get("samples").asInt()).isEqualTo(20);
        long train = summary.get("splits").get("train").asLong();
        long validation = summary.get("splits").get("validation").asLong();
        assertThat(train + validation).isEqualTo(20);
        assertThat(summary.get("shards").get("train").asLong()).isEqualTo((train + 2) / 3);
        assertThat(summary.get("fields").toString()).contains("model_sha256", "negative_prompt", "params", "seed");
    }

    @Test
    void aNightWithNoSamplesIsAValidEmptyExport() throws Exception {
        Path dir = tmp.resolve("empty");
        write(dir, spec(3), 0);
        assertThat(Files.size(dir.resolve("SHA256SUMS"))).isZero();
        assertThat(hashes(dir).keySet()).containsExactly("README.md", "SHA256SUMS");
        Assumptions.assumeTrue(Python.available(), "python3 is not installed");
        Python.Result r = Python.tool("read_dataset.py", dir.toString(), "--expect-count", "0");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void splitsFollowTheSharesAndAPromptStaysInItsSplit() throws Exception {
        DatasetSpec.Splits s = new DatasetSpec.Splits(0.2, 0.1, DatasetSpec.Splits.BY_PROMPT);
        Map<String, Integer> counts = new TreeMap<>();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            counts.merge(s.assign("prompt " + i, 0), 1, Integer::sum);
            assertThat(s.assign("prompt " + i, 7)).isEqualTo(s.assign("prompt " + i, 0));
        }
        // binomial: 5 standard deviations of each share
        assertThat(counts.get("validation")).isBetween((int) (n * 0.2 - 5 * Math.sqrt(n * 0.2 * 0.8)),
                (int) (n * 0.2 + 5 * Math.sqrt(n * 0.2 * 0.8)));
        assertThat(counts.get("test")).isBetween((int) (n * 0.1 - 5 * Math.sqrt(n * 0.1 * 0.9)),
                (int) (n * 0.1 + 5 * Math.sqrt(n * 0.1 * 0.9)));
        DatasetSpec.Splits byItem = new DatasetSpec.Splits(0.5, 0, DatasetSpec.Splits.BY_ITEM);
        long differs = Stream.iterate(0, i -> i + 1).limit(200)
                .filter(i -> !byItem.assign("one prompt", i).equals(byItem.assign("one prompt", 0))).count();
        assertThat(differs).as("by item, one prompt's seeds spread over the splits").isBetween(50L, 150L);
    }

    @Test
    void aShardHoldsShardSizeSamplesAndTheLastTheRest() throws Exception {
        DatasetSpec spec = DatasetSpecParserTest.parse(DatasetSpecParserTest.MINIMAL + "export: {shardSize: 4, "
                + "formats: [webdataset]}\n");
        Path dir = tmp.resolve("w");
        write(dir, spec, 10);
        assertThat(dir.resolve("train")).doesNotExist();
        assertThat(Files.list(dir.resolve("webdataset")).map(p -> p.getFileName().toString()).sorted().toList())
                .containsExactly("train-000000.tar", "train-000001.tar", "train-000002.tar");
        assertThat(Files.size(dir.resolve("webdataset/train-000000.tar")) % 10240).isZero();
    }

    @Test
    void theCardCountsAddUpAndFlagsAFailedGate() throws Exception {
        DatasetSpec spec = DatasetSpecParserTest.parse(DatasetSpecParserTest.MINIMAL + "gate: {maxRejected: 0.1}\n");
        String card = DatasetCard.render(new DatasetCard.Content(spec, LocalDate.of(2026, 12, 7), spec.requestId(
                LocalDate.of(2026, 12, 7)), 42, "b".repeat(64), 12, Map.of("train", 8L), Map.of("train", 1),
                Map.of("gate-verdict", 3L, "failed", 1L), List.of(new DatasetCard.Excluded(3, "gate-verdict",
                "colour: read blue, prompted red")), 0.25, "3 of 12 items rejected", new DatasetCard.Figures(20.0,
                1.5, 0.2, null, null, "cpu (CPU)", null), null, "c".repeat(64)));
        assertThat(card).startsWith("---\n").contains("QUALITY GATE FAILED", "| train | 8 | 1 |",
                "| **total** | 4 |", "| gate-verdict | 3 |", "colour: read blue, prompted red", "b".repeat(64),
                spec.sha256(), "| NFE | 20 |", "| GFLOPs | 1.5 |", "| energy (J) | - |");
        assertThat(DatasetCard.render(new DatasetCard.Content(spec, LocalDate.of(2026, 12, 7), "x", 42, "b".repeat(64),
                12, Map.of("train", 8L), Map.of("train", 1), Map.of(), List.of(), 0, null,
                new DatasetCard.Figures(null, null, null, null, null, null, null), null, "c".repeat(64))))
                .doesNotContain("FAILED");
    }

    static byte[] png(int grey) throws IOException {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, (grey * 10 % 256) * 0x010101);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(f).toString(), sha(Files.readAllBytes(f)));
            }
        }
        return m;
    }

    @Test
    void metadataKeysComeInTheDocumentedOrder() {
        ObjectNode m = DatasetExport.metadata(12, "train", "p", null, 3, Map.of("b", "2", "a", "1"), "m", "a".repeat(64),
                "c".repeat(64), "image/png", Json.MAPPER.createObjectNode(), null);
        assertThat(m.toString().getBytes(StandardCharsets.UTF_8)).isNotEmpty();
        assertThat(m.propertyNames()).containsExactly("file_name", "key", "index", "split", "prompt", "negative_prompt",
                "seed", "labels", "model", "model_sha256", "sha256", "media_type", "params", "quality");
        assertThat(m.get("file_name").asString()).isEqualTo("0000000012.png");
        assertThat(m.get("labels").propertyNames()).containsExactly("a", "b");
    }
}
