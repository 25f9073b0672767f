package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.ModelGeometry;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.platform.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine's checks of the named model applied by the parser: sizes the model cannot make and micro-batches larger
 * than the memory limit are refused with the field and the rule; what the model can make is accepted.
 */
class RequestParserModelChecksTest {

    /** Like shapes-ldm: latents of 4 × 8 × 8, VAE factor 4, so 32 × 32 only. */
    private static final CatalogModel FIXED = new CatalogModel("fixed", "image", Path.of("models/fixed"), 32, 32, 0,
            null, new ModelGeometry("fixed", false, true, true, 4, 4, 3, 32, 32, 0));
    /** Like Stable Diffusion 1.5's export: factor 8, any size. */
    private static final CatalogModel DYNAMIC = new CatalogModel("dynamic", "image", Path.of("models/dynamic"), 512, 512,
            0, null, new ModelGeometry("dynamic", false, true, true, 8, 4, 3, 0, 0, 0));
    private static final CatalogModel UNCOND = new CatalogModel("uncond", "image", Path.of("models/uncond"), 64, 64, 0,
            io.diffusionbatch.engine.SamplingParams.defaults(64, 64).withGuidance(1.0),
            new ModelGeometry("uncond", false, false, true, 8, 4, 3, 0, 0, 0));
    private static final ModelCatalog CATALOG = ModelCatalog.of(List.of(FIXED, DYNAMIC, UNCOND));
    /** Micro-batches of 4 that may need 2 GiB. */
    private static final RequestLimits LIMITS = RequestLimits.DEFAULTS.withBatchMemory(4, 2L << 30);

    private static String request(String model, String params) {
        return """
                {"requestId": "r", "kind": "image", "model": "%s", "prompts": ["a red circle"], "params": %s,
                 "output": {"location": "r", "format": "png"}}""".formatted(model, params);
    }

    private static List<Violation> violations(String json, ModelCatalog catalog) {
        try {
            RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), LIMITS, catalog);
        } catch (InvalidRequestException e) {
            return e.violations();
        }
        throw new AssertionError("expected the request to be rejected: " + json);
    }

    private static GenerationRequest parse(String json) throws InvalidRequestException {
        return RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), LIMITS, CATALOG);
    }

    @Test
    void aWidthThatIsNotAMultipleOfTheModelsFactorIsRefused() {
        List<Violation> v = violations(request("dynamic", "{\"width\": 7}"), CATALOG);
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("params.width", "model-size"));
        assertThat(v.get(0).message()).isEqualTo("must be a multiple of 8 for model dynamic (its VAE's scale factor),"
                + " was 7");
        assertThat(v.get(0).toString()).startsWith("params.width: must be a multiple of 8").endsWith("[model-size]");
    }

    @Test
    void aSizeOtherThanTheOneFixedInTheGraphIsRefused() {
        List<Violation> v = violations(request("fixed", "{\"width\": 64, \"height\": 48}"), CATALOG);
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                tuple("params.width", "model-size"), tuple("params.height", "model-size"));
        assertThat(v).extracting(Violation::message).containsExactlyInAnyOrder(
                "model fixed only makes 32 (fixed in its graph), was 64",
                "model fixed only makes 32 (fixed in its graph), was 48");
        assertThat(violations(request("fixed", "{\"width\": 8192, \"height\": 8192}"), CATALOG))
                .extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                        tuple("params.width", "model-size"), tuple("params.height", "model-size"));
    }

    @Test
    void aMicroBatchLargerThanTheMemoryLimitIsRefusedWithTheNumbers() throws Exception {
        List<Violation> v = violations(request("dynamic", "{\"width\": 8192, \"height\": 8192}"), CATALOG);
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("params.width", "batch-memory"));
        long bytes = DYNAMIC.geometry().batchBytes(DYNAMIC.defaults().withSize(8192, 8192), 4);
        assertThat(v.get(0).message()).isEqualTo("8192x8192 with guidance needs about " + ModelGeometry.gib(bytes)
                + " per micro-batch of 4 on model dynamic, more than the limit of 2.0 GiB"
                + " (diffusion.limits.max-batch-memory); ask for fewer pixels or frames, or run with a smaller"
                + " diffusion.job.batch-size");
        assertThat(ModelGeometry.gib(bytes)).isEqualTo("10.2 GiB");
        // the same size in micro-batches of 1 under a larger limit fits
        RequestLimits roomy = RequestLimits.DEFAULTS.withBatchMemory(1, 4L << 30);
        assertThat(bytes / 4).isLessThan(4L << 30);
        assertThat(RequestParser.parse(request("dynamic", "{\"width\": 8192, \"height\": 8192}")
                .getBytes(StandardCharsets.UTF_8), roomy, CATALOG).params().width()).isEqualTo(8192);
    }

    @Test
    void theMemoryRuleNamesTheHeightWhenOnlyTheHeightIsAskedFor() {
        RequestLimits small = RequestLimits.DEFAULTS.withBatchMemory(4, 256L << 20);
        try {
            RequestParser.parse(request("dynamic", "{\"height\": 8192}").getBytes(StandardCharsets.UTF_8), small,
                    CATALOG);
            throw new AssertionError("expected a refusal");
        } catch (InvalidRequestException e) {
            assertThat(e.violations()).extracting(Violation::field, Violation::rule)
                    .containsExactly(tuple("params.height", "batch-memory"));
            assertThat(e.violations().get(0).message()).startsWith("512x8192 with guidance needs about 652.0 MiB")
                    .contains("more than the limit of 256.0 MiB");
        }
    }

    @Test
    void guidanceOnAnUnconditionalModelIsRefused() {
        assertThat(violations(request("uncond", "{\"guidance\": 7.5}"), CATALOG))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("params.guidance", "model-kind"));
    }

    @Test
    void sizesTheModelCanMakeAreAccepted() throws Exception {
        assertThat(parse(request("fixed", "{}")).params().width()).isNull();
        assertThat(parse(request("fixed", "{\"width\": 32, \"height\": 32}")).params().width()).isEqualTo(32);
        assertThat(parse(request("dynamic", "{\"width\": 768, \"height\": 512}")).params().height()).isEqualTo(512);
        assertThat(parse(request("dynamic", "{\"width\": 2048, \"height\": 1024}")).params().width()).isEqualTo(2048);
        assertThat(parse(request("uncond", "{\"guidance\": 1.0}")).params().guidance()).isEqualTo(1.0);
    }

    /** The catalog of the platform reads the geometry from the model folder when it opens the model. */
    @Test
    void theModelRegistryGivesTheGeometryOfTheRealModel() throws Exception {
        Path tinySd = Path.of("src/engine/src/test/resources/models/tiny-sd");
        try (ModelRegistry registry = new ModelRegistry(Map.of("tiny", new DiffusionProperties.Model(tinySd, "image",
                null)), EngineOptions.cpu().withBatchSize(4))) {
            CatalogModel tiny = registry.find("tiny").orElseThrow();
            assertThat(tiny.geometry()).usingRecursiveComparison().ignoringFields("scheduler")
                    .isEqualTo(new ModelGeometry("tiny-sd", false, true, true, 4, 4, 3, 32, 32, 0));
            // steps the model's schedule cannot give are refused at intake, not item by item on the workers
            List<Violation> steps = violations(request("tiny", "{\"steps\": 1000, \"sampler\": \"ddim\"}"), registry);
            assertThat(steps).extracting(Violation::field, Violation::rule)
                    .containsExactly(tuple("params.steps", "sampler-config"));
            assertThat(steps.get(0).message()).contains("1000").contains("num_train_timesteps");
            assertThat(violations(request("tiny", "{\"width\": 7}"), registry))
                    .extracting(Violation::field, Violation::rule).containsExactly(tuple("params.width", "model-size"));
            assertThat(violations(request("tiny", "{\"width\": 8192, \"height\": 8192}"), registry))
                    .extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                            tuple("params.width", "model-size"), tuple("params.height", "model-size"));
            assertThat(RequestParser.parse(request("tiny", "{\"width\": 32}").getBytes(StandardCharsets.UTF_8),
                    LIMITS, registry).params().width()).isEqualTo(32);
        }
    }

    /** SDXL-Turbo and a guidance-distilled LCM enter the catalog like any model, with their families' defaults. */
    @Test
    void sdxlAndGuidanceDistilledModelsEnterTheCatalogWithTheirFamiliesDefaults() throws Exception {
        Path fixtures = Path.of("src/engine/src/test/resources/models/diffusers");
        try (ModelRegistry registry = new ModelRegistry(Map.of(
                "turbo", new DiffusionProperties.Model(fixtures.resolve("sdxl-turbo"), "image", null),
                "lcm", new DiffusionProperties.Model(fixtures.resolve("lcm"), "image", null)),
                EngineOptions.cpu().withBatchSize(4))) {
            CatalogModel turbo = registry.find("turbo").orElseThrow();
            assertThat(List.of(turbo.defaults().sampler(), turbo.defaults().steps(), turbo.defaults().guidance()))
                    .containsExactly("euler-a", 1, 0.0);
            assertThat(List.of(turbo.defaultWidth(), turbo.defaultHeight())).containsExactly(32, 32);
            CatalogModel lcm = registry.find("lcm").orElseThrow();
            assertThat(List.of(lcm.defaults().sampler(), lcm.defaults().steps(), lcm.defaults().guidance()))
                    .containsExactly("lcm", 4, 8.5);
            assertThat(lcm.geometry().guidanceEmbedded()).isTrue();
            assertThat(RequestParser.parse(request("turbo", "{\"width\": 48, \"height\": 32}")
                    .getBytes(StandardCharsets.UTF_8), LIMITS, registry).params().width()).isEqualTo(48);
            assertThat(RequestParser.parse(request("lcm", "{\"guidance\": 3.0}").getBytes(StandardCharsets.UTF_8),
                    LIMITS, registry).params().guidance()).isEqualTo(3.0);
        }
    }
}
