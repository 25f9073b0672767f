package io.diffusionbatch.dataset;

import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.RequestLimits;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NightExpansion} against {@code tools/dataset_reference.py}, a second implementation written in Python from
 * the written rules only (NightExpansion's class Javadoc, {@link DatasetSpec.Splits#assign}, DatasetSpec's field
 * list): the request id, every prompt entry (text, negative, seed, labels), the seeds, and the split of every item.
 * A few expectations are also written out by hand, so that a rule both implementations misread still shows.
 */
class NightExpansionReferenceTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ModelCatalog CATALOG = ModelCatalog.of(List.of(
            new CatalogModel("shapes-ldm", "image", Path.of("models/shapes-ldm"), 32, 32, 0),
            new CatalogModel("shapes-video", "video", Path.of("models/shapes-video"), 32, 32, 8)));
    private static final LocalDate NIGHT = LocalDate.of(2025, 3, 14);
    private static final LocalDate NEXT_NIGHT = LocalDate.of(2025, 3, 15);

    @TempDir
    Path dir;

    @BeforeEach
    void python() {
        assumeTrue(Python.available(), "python3 is not on PATH (CI installs it)");
    }

    /** The spec, Java's request and the reference's answer for one night. */
    private record Checked(DatasetSpec spec, JsonNode request, JsonNode reference, List<String> itemSplits) {
    }

    private static DatasetSpec parse(String yaml) throws InvalidSpecException {
        return new DatasetSpecParser(CATALOG, m -> true, RequestLimits.DEFAULTS).parse(yaml.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Expands the spec in Java and in Python and holds every field the reference gives against Java's. */
    private Checked check(String yaml, LocalDate night) throws Exception {
        DatasetSpec spec = parse(yaml);
        JsonNode request = JSON.readTree(NightExpansion.requestJson(spec, night));
        byte[] canonical = spec.canonicalJson().getBytes(StandardCharsets.UTF_8);
        Path file = Files.createTempFile(dir, "spec", ".json");
        Files.write(file, canonical);
        Python.Result run = Python.tool("dataset_reference.py", file.toString(), night.toString());
        assertThat(run.exit()).as("dataset_reference.py failed: %s", run.err()).isZero();
        JsonNode ref = JSON.readTree(run.out());

        // the id: the spec's canonical JSON as the request embeds it, hashed as bytes
        assertThat(request.get("requestId").asString()).isEqualTo(ref.get("requestId").asString());
        assertThat(request.get("dataset").get("specSha256").asString()).isEqualTo(sha256(canonical));
        assertThat(request.get("dataset").get("spec").asString()).isEqualTo(spec.canonicalJson());

        // every prompt entry: text, negative, seed (sample only), labels
        JsonNode prompts = request.get("prompts");
        JsonNode refPrompts = ref.get("prompts");
        assertThat(prompts.size()).isEqualTo(refPrompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(prompts.get(i)).as("prompt entry %d", i).isEqualTo(refPrompts.get(i));
            assertThat(fieldNames(prompts.get(i).get("labels"))).as("labels of entry %d, sorted", i)
                    .isSorted();
        }

        // seeds: the request's per-prompt seeds (product), or each entry its own (sample)
        int count = ref.get("seeds").get("count").asInt();
        long base = ref.get("seeds").get("base").asLong();
        assertThat(count).isEqualTo(spec.seeds().count());
        boolean sample = spec.sample() != null;
        if (!sample) {
            assertThat(request.get("seeds")).isEqualTo(ref.get("seeds"));
        } else {
            assertThat(request.get("seeds").get("count").asInt()).isEqualTo(1);
            assertThat(prompts.get(0).get("seed").asLong()).isEqualTo(base);
        }

        // the split of every item, Java's rule against Python's
        List<String> javaSplits = new ArrayList<>();
        for (JsonNode e : prompts) {
            String text = e.get("prompt").asString();
            if (sample) {
                javaSplits.add(spec.splits().assign(text, e.get("seed").asLong()));
            } else {
                for (int s = 0; s < count; s++) {
                    javaSplits.add(spec.splits().assign(text, base + s));
                }
            }
        }
        assertThat(javaSplits).isEqualTo(strings(ref.get("itemSplits")));
        if (!ref.get("splits").isNull()) {
            List<String> perEntry = new ArrayList<>();
            for (JsonNode e : prompts) {
                perEntry.add(spec.splits().assign(e.get("prompt").asString(), sample ? e.get("seed").asLong() : base));
            }
            assertThat(perEntry).isEqualTo(strings(ref.get("splits")));
        }
        return new Checked(spec, request, ref, javaSplits);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    private static List<String> fieldNames(JsonNode object) {
        return new ArrayList<>(object.propertyNames());
    }

    private static List<String> texts(JsonNode request) {
        return strings(JSON.createArrayNode().addAll(
                request.get("prompts").valueStream().map(p -> p.get("prompt")).toList()));
    }

    private static final String PRODUCT = """
            name: product-check
            model: shapes-ldm
            templates:
              - template: "a {size} {colour} {shape}, {colour} all over"
                slots:
                  shape: [circle, star]
                  colour: [red, blue]
                  size: [small, large]
                negative: "no {colour} blur"
              - template: "{shape} on {background} {x"
                slots:
                  background: ["plain {size}", "{} or {1}"]
                  shape: [square, "tri{colour}angle"]
            seeds: {policy: fixed, count: 2, base: 5}
            splits: {validation: 0.2, test: 0.1, by: item}
            """;

    @Test
    void productOfTwoTemplatesMatchesTheReferenceAndTheWrittenOrder() throws Exception {
        Checked c = check(PRODUCT, NIGHT);
        // written out: template order, slots nested in order of first use (size, colour, shape: not the YAML's
        // key order), the last varying fastest; a repeated placeholder filled twice; a value's "{...}" kept as text
        assertThat(texts(c.request())).containsExactly(
                "a small red circle, red all over",
                "a small red star, red all over",
                "a small blue circle, blue all over",
                "a small blue star, blue all over",
                "a large red circle, red all over",
                "a large red star, red all over",
                "a large blue circle, blue all over",
                "a large blue star, blue all over",
                "square on plain {size} {x",
                "square on {} or {1} {x",
                "tri{colour}angle on plain {size} {x",
                "tri{colour}angle on {} or {1} {x");
        JsonNode first = c.request().get("prompts").get(0);
        assertThat(first.get("negative").asString()).isEqualTo("no {colour} blur");
        assertThat(first.get("labels").get("dataset.template").asString()).isEqualTo("0");
        assertThat(first.get("labels").get("colour").asString()).isEqualTo("red");
        assertThat(first.has("seed")).isFalse();
        JsonNode last = c.request().get("prompts").get(11);
        assertThat(last.has("negative")).isFalse();
        assertThat(last.get("labels").get("dataset.template").asString()).isEqualTo("1");
        assertThat(last.get("labels").get("background").asString()).isEqualTo("{} or {1}");
        assertThat(c.request().get("seeds").get("base").asLong()).isEqualTo(5);
        assertThat(c.request().get("seeds").get("count").asInt()).isEqualTo(2);
        assertThat(c.itemSplits()).hasSize(24);
    }

    @Test
    void unicodeValuesSplitByPromptMatchTheReference() throws Exception {
        String yaml = """
                name: unicode-check
                model: shapes-ldm
                templates:
                  - template: "{thing} près du {place}"
                    slots:
                      thing: ["café é", "字", "🦊 fox", "naïve 😀 字"]
                      place: ["lac", "山"]
                seeds: {policy: date, count: 3}
                splits: {validation: 0.2, test: 0.1}
                """;
        Checked c = check(yaml, NIGHT);
        assertThat(texts(c.request())).contains("🦊 fox près du 山", "字 près du lac", "café é près du lac");
        // by prompt: a prompt's items share its split
        for (int p = 0; p < 8; p++) {
            assertThat(c.itemSplits().subList(3 * p, 3 * p + 3)).as("items of prompt %d", p).containsOnly(
                    c.itemSplits().get(3 * p));
        }
        assertThat(c.spec().splits().by()).isEqualTo("prompt");
    }

    private static final String SAMPLE = """
            name: sample-check
            model: shapes-ldm
            templates:
              - template: "a {colour} {shape}"
                weight: 0.7
                slots:
                  colour: {red: 0.5, blue: 0.3, green: 0.2}
                  shape: [circle, square, star, "☆ {colour}"]
                negative: blurry
              - template: "{shape} in {colour}"
                weight: 0.3
                slots:
                  shape: {triangle: 0.9, hexagon: 0.1}
                  colour: [black, white]
            combination: {sample: 500, seed: 20250314}
            seeds: {policy: date, count: 2}
            splits: {validation: 0.2, test: 0.1, by: item}
            """;

    @Test
    void weightedSampleMatchesTheReferenceAndTheWeights() throws Exception {
        Checked c = check(SAMPLE, NIGHT);
        JsonNode prompts = c.request().get("prompts");
        assertThat(prompts.size()).isEqualTo(1000);
        // draw d's s-th item has seed base + d*count + s: every seed distinct, in order
        long base = c.reference().get("seeds").get("base").asLong();
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(prompts.get(i).get("seed").asLong()).isEqualTo(base + i);
        }
        // the empirical shares of the 500 draws (every other entry) lie within 5 sigma of the weights
        Map<String, Integer> templates = new LinkedHashMap<>();
        Map<String, Integer> colours = new LinkedHashMap<>();
        Map<String, Integer> shapes1 = new LinkedHashMap<>();
        int draws = 0;
        for (int d = 0; d < 500; d++) {
            JsonNode labels = prompts.get(2 * d).get("labels");
            assertThat(prompts.get(2 * d + 1).get("prompt")).isEqualTo(prompts.get(2 * d).get("prompt"));
            String t = labels.get("dataset.template").asString();
            templates.merge(t, 1, Integer::sum);
            if (t.equals("0")) {
                colours.merge(labels.get("colour").asString(), 1, Integer::sum);
                draws++;
            } else {
                shapes1.merge(labels.get("shape").asString(), 1, Integer::sum);
            }
        }
        within5Sigma(templates, Map.of("0", 0.7, "1", 0.3), 500);
        within5Sigma(colours, Map.of("red", 0.5, "blue", 0.3, "green", 0.2), draws);
        within5Sigma(shapes1, Map.of("triangle", 0.9, "hexagon", 0.1), 500 - draws);
        double chiSquare = 0;
        for (Map.Entry<String, Double> e : Map.of("red", 0.5, "blue", 0.3, "green", 0.2).entrySet()) {
            double expected = e.getValue() * draws;
            double seen = colours.getOrDefault(e.getKey(), 0);
            chiSquare += (seen - expected) * (seen - expected) / expected;
        }
        assertThat(chiSquare).as("chi-square, 2 degrees of freedom (p = 1e-6 at 27.6)").isLessThan(27.6);
    }

    private static void within5Sigma(Map<String, Integer> counts, Map<String, Double> weights, int n) {
        assertThat(counts.keySet()).isSubsetOf(weights.keySet());
        weights.forEach((k, p) -> assertThat((double) counts.getOrDefault(k, 0))
                .as("%s: %s of %d draws, weight %s", k, counts.get(k), n, p)
                .isCloseTo(n * p, within(5 * Math.sqrt(n * p * (1 - p)))));
    }

    /**
     * Weights may sum to 1 within 1e-6, so u can exceed every cumulative weight: the pick is then the last. The
     * stream seeds were found by inverting SplitMix64 so that draw 0's template pick (first unit) or slot pick
     * (second unit) is above 1 - 2^-22.
     */
    @Test
    void aUnitPastEveryCumulativeWeightPicksTheLast() throws Exception {
        String slot = """
                name: last-slot
                model: shapes-ldm
                templates:
                  - template: "{a}"
                    slots:
                      a: {x: 0.5, y: 0.4999996}
                combination: {sample: 3, seed: 7254440923650465}
                """;
        Checked c = check(slot, NIGHT);
        assertThat(c.request().get("prompts").get(0).get("prompt").asString()).isEqualTo("y");
        String template = """
                name: last-template
                model: shapes-ldm
                templates:
                  - template: "first {a}"
                    weight: 0.5
                    slots: {a: [x]}
                  - template: "second {a}"
                    weight: 0.4999996
                    slots: {a: [x]}
                combination: {sample: 3, seed: 2416317551507895}
                """;
        c = check(template, NIGHT);
        assertThat(c.request().get("prompts").get(0).get("prompt").asString()).isEqualTo("second x");
    }

    @Test
    void dateSeedsChangeByNightAndFixedSeedsDoNot() throws Exception {
        String date = """
                name: seeds-by-date
                model: shapes-ldm
                templates:
                  - template: "a {colour} circle"
                    slots: {colour: [red, blue, green]}
                seeds: {policy: date, count: 4}
                """;
        Checked a = check(date, NIGHT);
        Checked b = check(date, NEXT_NIGHT);
        long baseA = a.request().get("seeds").get("base").asLong();
        long baseB = b.request().get("seeds").get("base").asLong();
        assertThat(baseA).isNotEqualTo(baseB);
        assertThat(baseA + 3).isLessThanOrEqualTo((1L << 53) - 1);
        assertThat(a.request().get("requestId").asString()).isNotEqualTo(b.request().get("requestId").asString())
                .startsWith("dataset:seeds-by-date:2025-03-14:");
        assertThat(a.request().get("prompts")).isEqualTo(b.request().get("prompts"));

        Checked sampleA = check(date.replace("seeds:", "combination: {sample: 5, seed: 1}\nseeds:"), NIGHT);
        Checked sampleB = check(date.replace("seeds:", "combination: {sample: 5, seed: 1}\nseeds:"), NEXT_NIGHT);
        assertThat(sampleA.reference().get("seeds").get("base").asLong())
                .isNotEqualTo(sampleB.reference().get("seeds").get("base").asLong());

        String fixed = date.replace("policy: date, count: 4", "policy: fixed, count: 4, base: 123456789");
        Checked f = check(fixed, NIGHT);
        Checked g = check(fixed, NEXT_NIGHT);
        assertThat(f.request().get("seeds")).isEqualTo(g.request().get("seeds"));
        assertThat(f.request().get("seeds").get("base").asLong()).isEqualTo(123456789L);
        assertThat(f.itemSplits()).isEqualTo(g.itemSplits());
    }

    @Test
    void theSameSpecWrittenTwoWaysGivesTheSameBytes() throws Exception {
        String block = """
                # block style
                name: layout-check
                description: two layouts
                model: shapes-ldm
                templates:
                  - template: "a {size} {colour} {shape}"
                    slots:
                      size:
                        - small
                        - large
                      colour:
                        red: 0.25
                        blue: 0.75
                      shape:
                        - circle
                        - star
                  - template: "{shape} alone"
                    slots:
                      shape: [square]
                seeds:
                  policy: date
                  count: 2
                splits:
                  validation: 0.2
                  test: 0.1
                  by: item
                priority: 3
                labels:
                  b: two
                  a: one
                """;
        String flow = """
                labels: {a: one, b: two}   # sorted either way
                priority: 3
                splits: {by: item, test: 0.1, validation: 0.2}
                seeds: {count: 2, policy: date}
                model: shapes-ldm
                templates:
                  - slots:
                      shape: [circle, star]      # slot keys in another order: the template's first use rules
                      colour: {red: 0.25, blue: 0.75}
                      size: [small, large]
                    template: "a {size} {colour} {shape}"
                  - {template: "{shape} alone", slots: {shape: [square]}}
                description: "two layouts"
                name: layout-check
                """;
        DatasetSpec a = parse(block);
        DatasetSpec b = parse(flow);
        assertThat(b.canonicalJson()).isEqualTo(a.canonicalJson());
        assertThat(b.sha256()).isEqualTo(a.sha256());
        assertThat(NightExpansion.requestJson(b, NIGHT)).isEqualTo(NightExpansion.requestJson(a, NIGHT));
        check(block, NIGHT);
        check(flow, NIGHT);

        // value order and template order are the product's order: they change the spec and the night
        String swapped = block.replace("        - small\n        - large\n", "        - large\n        - small\n");
        assertThat(swapped).isNotEqualTo(block);
        DatasetSpec values = parse(swapped);
        assertThat(values.sha256()).isNotEqualTo(a.sha256());
        assertThat(texts(JSON.readTree(NightExpansion.requestJson(values, NIGHT))).get(0)).isEqualTo(
                "a large red circle");
        check(swapped, NIGHT);
        String line = "  - {template: \"{shape} alone\", slots: {shape: [square]}}\n";
        String reordered = flow.replace(line, "").replace("templates:\n", "templates:\n" + line);
        assertThat(reordered).isNotEqualTo(flow);
        DatasetSpec templates = parse(reordered);
        assertThat(templates.sha256()).isNotEqualTo(a.sha256());
        assertThat(texts(JSON.readTree(NightExpansion.requestJson(templates, NIGHT))).get(0)).isEqualTo(
                "square alone");
        check(reordered, NIGHT);
    }

    @Test
    void fixedSeedsInSampleModeUnweightedTemplatesAndOtherBraces() throws Exception {
        String yaml = """
                name: fixed-sample
                model: shapes-ldm
                templates:
                  - template: "{{_a1}} {a-b} {_a1}{b2}"
                    slots:
                      _a1: [p, q, r]
                      b2: {"}": 0.6, "{": 0.4}
                  - template: "second {_a1}"
                    slots: {_a1: [s, t]}
                    negative: "{_a1} {"
                  - template: "third {x}"
                    slots: {x: [u]}
                combination: {sample: 40, seed: 0}
                seeds: {policy: fixed, count: 3, base: 1000}
                splits: {validation: 0.5, test: 0.25, by: item}
                """;
        Checked c = check(yaml, NIGHT);
        JsonNode prompts = c.request().get("prompts");
        assertThat(prompts.size()).isEqualTo(120);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(prompts.get(i).get("seed").asLong()).isEqualTo(1000 + i);
        }
        assertThat(texts(c.request())).allMatch(t -> t.startsWith("{") || t.startsWith("second ")
                || t.equals("third u"));
        assertThat(texts(c.request())).anyMatch(t -> t.matches("\\{[pqr]} \\{a-b} [pqr][{}]"));
        Checked next = check(yaml, NEXT_NIGHT);
        assertThat(next.request().get("prompts")).isEqualTo(prompts);
    }

    @Test
    void manyNightsAndNamesAgreeOnTheDateBase() throws Exception {
        for (String name : List.of("a", "night-7", "zz-top")) {
            for (int day = 0; day < 6; day++) {
                LocalDate night = LocalDate.of(2024, 12, 29).plusDays(day * 31L);
                check("""
                        name: %s
                        model: shapes-ldm
                        templates:
                          - template: "{c} {d}"
                            slots: {c: [a, b], d: {x: 0.1, y: 0.9}}
                        combination: %s
                        seeds: {policy: date, count: %d}
                        splits: {validation: 0.3, test: 0.3, by: %s}
                        """.formatted(name, day % 2 == 0 ? "product" : "{sample: 7, seed: " + day + "}",
                        1 + day, day % 3 == 0 ? "item" : "prompt"), night);
            }
        }
    }

    /** Step 4 of the written rules, on Java's request alone (the reference does not write these fields). */
    @Test
    void theRequestCarriesTheWrittenFields() throws Exception {
        String yaml = """
                name: video-check
                model: shapes-video
                templates:
                  - template: "a {c} ball"
                    slots: {c: [red]}
                format: mp4
                priority: 4
                maxWorkers: 2
                labels: {team: vision}
                location: sets/video
                """;
        Checked c = check(yaml, NIGHT);
        JsonNode r = c.request();
        String sha = c.spec().sha256();
        assertThat(r.get("kind").asString()).isEqualTo("video");
        assertThat(r.get("model").asString()).isEqualTo("shapes-video");
        assertThat(r.get("priority").asInt()).isEqualTo(4);
        assertThat(r.get("maxWorkers").asInt()).isEqualTo(2);
        assertThat(r.get("output").get("location").asString()).isEqualTo("sets/video/runs/2025-03-14-" + sha.substring(0, 8));
        assertThat(r.get("output").get("format").asString()).isEqualTo("mp4");
        assertThat(r.get("labels").get("team").asString()).isEqualTo("vision");
        assertThat(r.get("labels").get("dataset").asString()).isEqualTo("video-check");
        assertThat(r.get("labels").get("dataset.night").asString()).isEqualTo("2025-03-14");
        assertThat(r.get("labels").get("dataset.spec").asString()).isEqualTo(sha.substring(0, 12));
        assertThat(r.get("dataset").get("name").asString()).isEqualTo("video-check");
        assertThat(r.get("dataset").get("night").asString()).isEqualTo("2025-03-14");
        assertThat(r.get("dataset").get("specSha256").asString()).isEqualTo(sha);
        assertThat(r.get("requestId").asString()).isEqualTo("dataset:video-check:2025-03-14:" + sha.substring(0, 12));
    }
}
