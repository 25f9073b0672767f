package io.diffusionbatch.dataset;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code tools/read_dataset.py}, the independent Python reader of an exported night, on a tiny export written
 * here (ImageIO PNGs, {@link TarWriter} shards): it accepts the valid one and names the file and the rule of
 * each corruption. Keep the export written here the layout the exporter writes (docs and the script's comment).
 */
class ReadDatasetScriptTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    /** One sample: its split and index, and the PNG's fill colour. */
    private record Sample(String split, int index, Color colour) {
        String key() {
            return "%010d".formatted(index);
        }
    }

    private static final List<Sample> SAMPLES = List.of(
            new Sample("train", 0, Color.RED), new Sample("validation", 1, Color.GREEN), new Sample("train", 2, Color.BLUE));

    @BeforeEach
    void python() {
        assumeTrue(Python.available(), "python3 is not on PATH (CI installs it)");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] png(Color colour) throws IOException {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 32, 32);
        g.setColor(colour);
        g.fillOval(4, 4, 16, 16);
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, "png", bytes)).isTrue();
        return bytes.toByteArray();
    }

    /** The sample's metadata line, as the exporter writes it: field types are part of the contract. */
    private static Map<String, Object> line(Sample s, byte[] media) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("sampler", "ddim");
        params.put("steps", 20);
        params.put("guidance", 7.5);
        params.put("width", 32);
        params.put("height", 32);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("file_name", s.key() + ".png");
        line.put("key", s.key());
        line.put("index", s.index());
        line.put("split", s.split());
        line.put("prompt", "a small circle on a white background, caf\u00e9 \u00e9dition");
        line.put("negative_prompt", s.index() == 0 ? null : "blurry");
        line.put("seed", 9_007_199_254_740_993L + s.index());
        line.put("labels", Map.of("shape", "circle"));
        line.put("model", "shapes-ldm");
        line.put("model_sha256", "ab".repeat(32));
        line.put("sha256", sha256(media));
        line.put("media_type", "image/png");
        line.put("params", params);
        line.put("quality", s.index() == 1 ? null : Map.of("adherence", 0.875));
        return line;
    }

    /** Writes the valid export of {@link #SAMPLES} with one sample per shard, the shards' JSON members edited by {@code tarJson}. */
    private void export(UnaryOperator<String> tarJson) throws IOException {
        Files.writeString(dir.resolve("README.md"), "# shapes night\n\nA caf\u00e9 of circles.\n");
        Files.createDirectories(dir.resolve("webdataset"));
        Map<String, StringBuilder> metadata = new LinkedHashMap<>();
        Map<String, Integer> shards = new LinkedHashMap<>();
        for (Sample s : SAMPLES) {
            byte[] media = png(s.colour());
            Path split = Files.createDirectories(dir.resolve(s.split()));
            Files.write(split.resolve(s.key() + ".png"), media);
            String json = JSON.writeValueAsString(line(s, media));
            metadata.computeIfAbsent(s.split(), k -> new StringBuilder()).append(json).append('\n');
            int shard = shards.merge(s.split(), 1, Integer::sum) - 1;
            Path tar = dir.resolve("webdataset/%s-%06d.tar".formatted(s.split(), shard));
            try (OutputStream out = Files.newOutputStream(tar); TarWriter writer = new TarWriter(out)) {
                writer.add(s.key() + ".png", media);
                writer.add(s.key() + ".json", tarJson.apply(json).getBytes(StandardCharsets.UTF_8));
            }
        }
        for (Map.Entry<String, StringBuilder> m : metadata.entrySet()) {
            Files.writeString(dir.resolve(m.getKey()).resolve("metadata.jsonl"), m.getValue());
        }
        writeSums();
    }

    /** SHA256SUMS anew: every file but itself and README.md, sorted by path. */
    private void writeSums() throws IOException {
        List<String> paths;
        try (Stream<Path> files = Files.walk(dir)) {
            paths = files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.equals("SHA256SUMS") && !p.equals("README.md")).sorted().toList();
        }
        StringBuilder sums = new StringBuilder();
        for (String p : paths) {
            sums.append(sha256(Files.readAllBytes(dir.resolve(p)))).append("  ").append(p).append('\n');
        }
        Files.writeString(dir.resolve("SHA256SUMS"), sums);
    }

    private Python.Result read(String... options) {
        List<String> args = new ArrayList<>(List.of(dir.toString()));
        args.addAll(List.of(options));
        return Python.tool("read_dataset.py", args.toArray(String[]::new));
    }

    private static List<String> problems(Python.Result result) {
        assertThat(result.exit()).as("exit status; stderr:\n" + result.err()).isEqualTo(1);
        return result.err().lines().toList();
    }

    @Test
    void aValidExportIsReadAndSummarised() throws IOException {
        export(UnaryOperator.identity());
        Python.Result result = read("--shard-size", "1", "--expect-count", "3");
        assertThat(result.err()).isEmpty();
        assertThat(result.exit()).isZero();

        JsonNode summary = JSON.readTree(result.out());
        assertThat(summary.get("samples").asInt()).isEqualTo(3);
        assertThat(JSON.writeValueAsString(summary.get("splits"))).isEqualTo("{\"train\":2,\"validation\":1}");
        assertThat(JSON.writeValueAsString(summary.get("shards"))).isEqualTo("{\"train\":2,\"validation\":1}");
        assertThat(summary.get("keys").values().stream().map(JsonNode::asString))
                .containsExactly("0000000000", "0000000001", "0000000002");
        assertThat(summary.get("fields").values().stream().map(JsonNode::asString)).containsExactly(
                "file_name", "index", "key", "labels", "media_type", "model", "model_sha256", "negative_prompt",
                "params", "prompt", "quality", "seed", "sha256", "split");
        assertThat(summary.get("sha256sums").asInt()).as("3 PNGs, 2 metadata.jsonl, 3 shards").isEqualTo(8);
    }

    @Test
    void aFlippedPngByteIsAShaMismatchAndABadCrc() throws IOException {
        export(UnaryOperator.identity());
        Path png = dir.resolve("train/0000000000.png");
        byte[] bytes = Files.readAllBytes(png);
        String before = sha256(bytes);
        int idat = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("IDAT");
        bytes[idat + 8] ^= 1;
        Files.write(png, bytes);

        assertThat(problems(read())).containsExactly(
                "train/0000000000.png: sha256 " + sha256(bytes) + " is not the sha256 " + before
                        + " of its metadata line (key 0000000000)",
                "train/0000000000.png: PNG chunk 'IDAT' at byte " + (idat - 4) + " has a bad CRC",
                "train/0000000000.png: sha256 " + sha256(bytes) + " is not the " + before + " of SHA256SUMS line 1");
    }

    @Test
    void aMissingMetadataFieldIsNamedWithItsLine() throws IOException {
        export(UnaryOperator.identity());
        Path metadata = dir.resolve("train/metadata.jsonl");
        List<String> lines = Files.readAllLines(metadata);
        assertThat(lines.get(1)).contains("\"seed\":9007199254740995,");
        Files.write(metadata, List.of(lines.get(0), lines.get(1).replace("\"seed\":9007199254740995,", "")));
        writeSums();

        assertThat(problems(read())).containsExactly(
                "train/metadata.jsonl line 2: field 'seed' is missing (a required field)",
                "webdataset/train-000001.tar member 2 '0000000002.json': not the object of the train/metadata.jsonl "
                        + "line of key 0000000002 (field(s) seed differ)");
    }

    @Test
    void aTarMemberWithAnotherMtimeIsRefused() throws IOException {
        export(UnaryOperator.identity());
        Path shard = dir.resolve("webdataset/validation-000000.tar");
        byte[] tar = Files.readAllBytes(shard);
        // the first member's mtime to 0, its checksum recomputed so that the header still reads
        byte[] zero = "00000000000\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(zero, 0, tar, 136, zero.length);
        byte[] spaces = "        ".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(spaces, 0, tar, 148, 8);
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[i] & 0xFF;
        }
        byte[] chksum = "%06o\0 ".formatted(sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chksum, 0, tar, 148, 8);
        Files.write(shard, tar);
        writeSums();

        assertThat(problems(read())).containsExactly(
                "webdataset/validation-000000.tar member 1 '0000000001.png': mtime 0 is not 946684800 (2000-01-01T00:00:00Z)");
    }

    @Test
    void aFileLeftOutOfSha256sumsIsNamed() throws IOException {
        export(UnaryOperator.identity());
        Path sums = dir.resolve("SHA256SUMS");
        List<String> lines = Files.readAllLines(sums);
        assertThat(lines.get(3)).endsWith("  validation/0000000001.png");
        lines.remove(3);
        Files.write(sums, lines);

        assertThat(problems(read())).containsExactly(
                "validation/0000000001.png: not listed in SHA256SUMS (it lists every file but SHA256SUMS and README.md)");
    }

    /** Python's {@code 20 == 20.0}: the reader compares JSON types too, so a shard's JSON must be the line's. */
    @Test
    void aShardJsonDifferingFromItsLineOnlyInANumbersTypeIsRefused() throws IOException {
        export(json -> json.replace("\"steps\":20,", "\"steps\":20.0,"));

        assertThat(problems(read())).hasSize(3).allSatisfy(p -> assertThat(p).matches(
                "webdataset/\\w+-00000\\d\\.tar member 2 '\\d{10}\\.json': not the object of the \\w+/metadata\\.jsonl "
                        + "line of key \\d{10} \\(field\\(s\\) params differ\\)"));
    }

    @Test
    void theShardSizeAndTheExpectedCountAreChecked() throws IOException {
        export(UnaryOperator.identity());

        assertThat(problems(read("--shard-size", "2", "--expect-count", "4"))).containsExactly(
                "webdataset/train-000000.tar: holds 1 samples; every shard but a split's last holds --shard-size 2",
                ".: holds 3 samples, not the --expect-count 4");
    }
}
