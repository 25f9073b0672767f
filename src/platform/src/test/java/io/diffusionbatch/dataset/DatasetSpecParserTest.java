package io.diffusionbatch.dataset;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import io.diffusionbatch.request.Violation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class DatasetSpecParserTest {

    static final ModelCatalog CATALOG = ModelCatalog.of(List.of(
            new CatalogModel("shapes-ldm", "image", Path.of("models/shapes-ldm"), 32, 32, 0),
            new CatalogModel("shapes-video", "video", Path.of("models/shapes-video"), 32, 32, 8),
            new CatalogModel("plain", "image", Path.of("models/plain"), 32, 32, 0)));
    /** shapes-* have an evaluator, plain has none. */
    static final DatasetSpecParser PARSER = new DatasetSpecParser(CATALOG, m -> m.startsWith("shapes"),
            RequestLimits.DEFAULTS);

    static final String MINIMAL = """
            name: tiny
            model: shapes-ldm
            templates:
              - template: "a {colour} {shape} on a white background"
                slots:
                  colour: [red, blue]
                  shape: [circle, star, square]
            seeds: {count: 2, base: 10}
            """;

    static DatasetSpec parse(String yaml) throws InvalidSpecException {
        return PARSER.parse(yaml.getBytes(StandardCharsets.UTF_8));
    }

    static List<Violation> violations(String yaml) {
        InvalidSpecException e = catchThrowableOfType(InvalidSpecException.class, () -> parse(yaml));
        assertThat(e).as("the spec must be refused:\n" + yaml).isNotNull();
        return e.violations();
    }

    @Test
    void theShippedExampleParsesAndMakes256Items() throws Exception {
        Path file = repo().resolve("config/datasets/shapes-nightly.yaml");
        DatasetSpec spec = PARSER.parse(Files.readAllBytes(file));
        assertThat(spec.name()).isEqualTo("shapes-nightly");
        assertThat(spec.promptCount()).isEqualTo(64);
        assertThat(spec.itemCount()).isEqualTo(256);
        assertThat(spec.schedule().cron()).isEqualTo("0 2 * * *");
        assertThat(spec.keepNights()).isEqualTo(7);
        assertThat(spec.gate().maxRejected()).isEqualTo(0.5);
    }

    @Test
    void defaultsAreWrittenOutAndTheCanonicalFormParsesToTheSameSpec() throws Exception {
        DatasetSpec spec = parse(MINIMAL);
        assertThat(spec.format()).isEqualTo("png");
        assertThat(spec.export().formats()).containsExactly("imagefolder", "webdataset");
        assertThat(spec.export().shardSize()).isEqualTo(1000);
        assertThat(spec.splits()).isEqualTo(new DatasetSpec.Splits(0, 0, "prompt"));
        assertThat(spec.location()).isEqualTo("datasets/tiny");
        assertThat(spec.gate()).isNull();
        assertThat(spec.schedule()).isNull();
        DatasetSpec again = PARSER.parse(Json.MAPPER.readTree(spec.canonicalJson()));
        assertThat(again.canonicalJson()).isEqualTo(spec.canonicalJson());
        assertThat(again.sha256()).isEqualTo(spec.sha256()).hasSize(64);
        assertThat(parse("# a comment\n" + MINIMAL.replace("seeds: {count: 2, base: 10}", "seeds:\n  base: 10\n  count: 2")).sha256())
                .as("comments and layout do not change the spec's identity").isEqualTo(spec.sha256());
    }

    @Test
    void aNightIsAnOrdinaryRequestWithADerivedIdThatTheRequestParserAccepts() throws Exception {
        DatasetSpec spec = parse(MINIMAL);
        LocalDate night = LocalDate.of(2026, 12, 7);
        String json = NightExpansion.requestJson(spec, night);
        assertThat(NightExpansion.requestJson(spec, night)).as("deterministic").isEqualTo(json);
        GenerationRequest r = RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), RequestLimits.DEFAULTS, CATALOG);
        assertThat(r.requestId()).isEqualTo("dataset:tiny:2026-12-07:" + spec.sha256().substring(0, 12));
        assertThat(r.itemCount()).isEqualTo(12);
        assertThat(r.output().location()).isEqualTo("datasets/tiny/runs/2026-12-07-" + spec.sha256().substring(0, 8));
        assertThat(r.labels()).containsEntry("dataset", "tiny").containsEntry("dataset.night", "2026-12-07")
                .containsEntry("dataset.spec", spec.sha256().substring(0, 12));
        assertThat(r.dataset().specSha256()).isEqualTo(spec.sha256());
        assertThat(r.dataset().specJson()).isEqualTo(spec.canonicalJson());
        // the last slot varies fastest, slots in order of first use, seeds base … base+count−1 per prompt
        assertThat(r.expansion().item(0).prompt()).isEqualTo("a red circle on a white background");
        assertThat(r.expansion().item(0).seed()).isEqualTo(10);
        assertThat(r.expansion().item(1).seed()).isEqualTo(11);
        assertThat(r.expansion().item(2).prompt()).isEqualTo("a red star on a white background");
        assertThat(r.expansion().item(6).prompt()).isEqualTo("a blue circle on a white background");
        assertThat(r.expansion().item(6).labels()).containsEntry("colour", "blue").containsEntry("shape", "circle")
                .containsEntry("dataset.template", "0");
        // another night of a fixed-seed spec: the same items under another id
        String other = NightExpansion.requestJson(spec, night.plusDays(1));
        JsonNode a = Json.MAPPER.readTree(json);
        JsonNode b = Json.MAPPER.readTree(other);
        assertThat(b.get("prompts")).isEqualTo(a.get("prompts"));
        assertThat(b.get("seeds")).isEqualTo(a.get("seeds"));
        assertThat(b.get("requestId")).isNotEqualTo(a.get("requestId"));
    }

    @Test
    void dateSeedsDifferByNightAndRepeatForTheSameNight() throws Exception {
        DatasetSpec spec = parse(MINIMAL.replace("seeds: {count: 2, base: 10}", "seeds: {policy: date, count: 2}"));
        LocalDate night = LocalDate.of(2026, 12, 7);
        long base = NightExpansion.seedBase(spec, night);
        assertThat(NightExpansion.seedBase(spec, night)).isEqualTo(base);
        assertThat(NightExpansion.seedBase(spec, night.plusDays(1))).isNotEqualTo(base);
        assertThat(base).isBetween(0L, (1L << 53) - 2);
    }

    @Test
    void sampleModeDrawsDistinctSeedsSoAPromptDrawnTwiceNeverRepeatsAnImage() throws Exception {
        DatasetSpec spec = parse(MINIMAL.replace("seeds: {count: 2, base: 10}", "seeds: {count: 2, base: 10}\n"
                + "combination: {sample: 50, seed: 3}"));
        JsonNode r = Json.MAPPER.readTree(NightExpansion.requestJson(spec, LocalDate.of(2026, 1, 1)));
        assertThat(r.get("prompts").size()).isEqualTo(100);
        java.util.Set<Long> seeds = new java.util.HashSet<>();
        r.get("prompts").forEach(p -> seeds.add(p.get("seed").asLong()));
        assertThat(seeds).hasSize(100);
        assertThat(seeds).contains(10L, 109L);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown slot in a template | {colour} {shape} | {colour} {hue} {shape}                   | templates[0].template | unknown-slot
            slot not in the template    | shape: [circle, star, square] | shape: [circle, star, square]\\n      size: [small] | templates[0].slots.size | unused-slot
            bad cron                    | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nschedule: {cron: '61 2 * * *'} | schedule.cron | cron
            six-field cron              | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nschedule: {cron: '0 0 2 * * *'} | schedule.cron | cron
            bad zone                    | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nschedule: {cron: '@daily', zone: Mars/Olympus} | schedule.zone | zone
            unknown model               | model: shapes-ldm | model: shapes-xl                              | model | unknown-model
            zero seeds                  | {count: 2, base: 10} | {count: 0, base: 10}                        | seeds.count | no-items
            zero samples                | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\ncombination: {sample: 0, seed: 1} | combination.sample | no-items
            weights that do not sum     | colour: [red, blue] | colour: {red: 0.5, blue: 0.4}               | templates[0].slots.colour | weights
            negative weight             | colour: [red, blue] | colour: {red: 1.5, blue: -0.5}              | templates[0].slots.colour.blue | weights
            gate without evaluator      | model: shapes-ldm | model: plain\\ngate: {verdict: adherent}         | gate | no-evaluator
            engine refuses the steps    | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nparams: {steps: 0} | params.steps | range
            video format on image model | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nformat: mp4   | format | format-kind
            splits leave no train       | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nsplits: {validation: 0.6, test: 0.4} | splits | range
            unknown field               | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nshards: 4     | shards | unknown-field
            bad name                    | name: tiny | name: Tiny Set                                           | name | pattern
            reserved label              | seeds: {count: 2, base: 10} | seeds: {count: 2, base: 10}\\nlabels: {dataset: x} | labels.dataset | reserved-label
            duplicate key               | model: shapes-ldm | model: shapes-ldm\\nmodel: shapes-ldm               | $ | duplicate-key
            seeds past 2^53             | {count: 2, base: 10} | {count: 2, base: 9007199254740991}          | seeds.base | range
            """)
    void malformedSpecsAreRefusedBeforeAnyWorkNamingTheFieldAndTheRule(String name, String from, String to,
                                                                        String field, String rule) {
        String yaml = MINIMAL.replace(from, to.replace("\\n", "\n"));
        assertThat(yaml).as("the case edits the spec").isNotEqualTo(MINIMAL);
        List<Violation> v = violations(yaml);
        assertThat(v).as(name).anySatisfy(x -> {
            assertThat(x.field()).isEqualTo(field);
            assertThat(x.rule()).isEqualTo(rule);
            assertThat(x.toString()).startsWith(field + ": ");
        });
    }

    @Test
    void aSpecWhoseNightCouldNotBeOneRequestIsRefusedBeforeItIsBuilt() {
        long t0 = System.nanoTime();
        // 10,000,000 items (the limit) as 10,000,000 entries of their own: refused by count, nothing built
        assertThat(violations("""
                name: bomb
                model: shapes-ldm
                templates: ["a red circle"]
                combination: {sample: 250000, seed: 1}
                seeds: {count: 40}
                """)).anySatisfy(v -> {
            assertThat(v.field()).isEqualTo("combination.sample");
            assertThat(v.rule()).isEqualTo("too-many-prompts");
        });
        // 250,000 prompts of 4,000 characters: refused by the size bound
        String longValue = "x".repeat(1990);
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            values.append(values.isEmpty() ? "" : ", ").append('"').append(longValue).append(i).append('"');
        }
        assertThat(violations("""
                name: wide
                model: shapes-ldm
                templates:
                  - template: "{a}{b}"
                    slots: {a: [%s], b: [%s]}
                """.formatted(values, values))).anySatisfy(v -> {
            assertThat(v.field()).isEqualTo("templates");
            assertThat(v.rule()).isEqualTo("too-large");
        });
        assertThat((System.nanoTime() - t0) / 1e9).as("refused without expanding").isLessThan(10);
    }

    @Test
    void yamlAliasesAreRefusedRatherThanReadAsTheirAnchorsName() {
        assertThat(violations(MINIMAL.replace("colour: [red, blue]", "colour: [&r red, *r]"))).anySatisfy(v -> {
            assertThat(v.field()).isEqualTo("$");
            assertThat(v.message()).contains("alias", "*r");
        });
    }

    @Test
    void cronSyntaxThatKubernetesReadsOtherwiseIsRefused() {
        assertThat(DatasetSpecParser.cronProblem("0 2 * * 1-5")).isNull();
        assertThat(DatasetSpecParser.cronProblem("@daily")).isNull();
        assertThat(DatasetSpecParser.cronProblem("0 2 L * *")).contains("L, W");
        assertThat(DatasetSpecParser.cronProblem("0 2 ? * MON")).contains("L, W");
        assertThat(DatasetSpecParser.cronProblem("0 2 * * 5#3")).contains("L, W");
        assertThat(DatasetSpecParser.cronProblem("0 2 13 * 5")).contains("day-of-month and day-of-week");
    }

    @Test
    void theOrderOfParamsKeysIsNotContent() throws Exception {
        String a = MINIMAL + "params: {steps: 12, guidance: 4.0, sampler: ddim}\n";
        String b = MINIMAL + "params: {sampler: ddim, guidance: 4.0, steps: 12}\n";
        assertThat(parse(a).sha256()).isEqualTo(parse(b).sha256());
        assertThat(parse(a).sha256()).isNotEqualTo(parse(MINIMAL + "params: {steps: 13, guidance: 4.0}\n").sha256());
    }

    @Test
    void aStoredSpecIsReadWithoutTodaysCatalog() throws Exception {
        DatasetSpec spec = parse(MINIMAL + "gate: {verdict: adherent}\n");
        DatasetSpec stored = DatasetSpecParser.parseStored(Json.MAPPER.readTree(spec.canonicalJson()
                .replace("\"shapes-ldm\"", "\"retired-model\"")));
        assertThat(stored.model()).isEqualTo("retired-model");
        assertThat(stored.gate()).isNotNull();
    }

    @Test
    void templateWeightsMustBeAllOrNoneAndSumToOne() {
        String two = """
                name: w
                model: shapes-ldm
                templates:
                  - {template: "a red circle on a white background", weight: 0.7}
                  - {template: "a blue star on a white background", weight: 0.2}
                """;
        assertThat(violations(two)).anySatisfy(x -> assertThat(x.rule()).isEqualTo("weights"));
        assertThat(violations(two.replace(", weight: 0.2", ""))).anySatisfy(x -> {
            assertThat(x.field()).isEqualTo("templates");
            assertThat(x.rule()).isEqualTo("weights");
        });
    }

    @Test
    void everyViolationIsReportedTogether() {
        List<Violation> v = violations("""
                name: Bad
                model: nope
                templates: []
                seeds: {count: -1}
                """);
        assertThat(v).extracting(Violation::field).contains("name", "model", "templates", "seeds.count");
    }

    @Test
    void anEmbeddedSpecThatIsNotAnObjectIsRefused() {
        assertThatThrownBy(() -> PARSER.parse(Json.MAPPER.readTree("[1]")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("$: ");
    }

    static Path repo() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("config/datasets"))) {
                return d;
            }
        }
        throw new AssertionError("no config/datasets above " + Path.of("").toAbsolutePath());
    }
}
