package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.media.OutputFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestParserTest {

    private static final String MINIMAL = """
            {"requestId": "r-1", "kind": "image", "model": "shapes-ldm", "prompts": ["a red circle"],
             "output": {"location": "runs/r1", "format": "png"}}""";

    static GenerationRequest parse(String json) throws InvalidRequestException {
        return RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), RequestLimits.DEFAULTS, TestCatalog.CATALOG);
    }

    static List<Violation> violations(String json) {
        try {
            parse(json);
        } catch (InvalidRequestException e) {
            return e.violations();
        }
        throw new AssertionError("expected the request to be rejected: " + json);
    }

    static List<Violation> violations(byte[] bytes, RequestLimits limits) {
        try {
            RequestParser.parse(bytes, limits, TestCatalog.CATALOG);
        } catch (InvalidRequestException e) {
            return e.violations();
        }
        throw new AssertionError("expected the request to be rejected");
    }

    /** MINIMAL with one top-level field replaced/added (JSON text of the value). */
    static String with(String field, String valueJson) {
        return MINIMAL.substring(0, MINIMAL.lastIndexOf('}')) + ", \"" + field + "\": " + valueJson + "}";
    }

    @Test
    void unsetSettingsTakeTheModelsOwnDefaults() throws Exception {
        String json = """
                {"requestId": "d", "kind": "image", "model": "%s", "prompts": ["a red circle"],
                 "output": {"location": "d", "format": "png"}}""";
        io.diffusionbatch.engine.SamplingParams lcm = parse(json.formatted("shapes-lcm")).samplingParams(TestCatalog.LCM);
        assertThat(lcm.sampler()).isEqualTo("lcm");
        assertThat(lcm.steps()).isEqualTo(4);
        assertThat(lcm.guidance()).isEqualTo(1.0);
        io.diffusionbatch.engine.SamplingParams ldm = parse(json.formatted("shapes-ldm")).samplingParams(TestCatalog.LDM);
        assertThat(ldm.sampler()).isEqualTo(io.diffusionbatch.engine.SamplingParams.defaults(32, 32).sampler());
        assertThat(ldm.steps()).isEqualTo(io.diffusionbatch.engine.SamplingParams.defaults(32, 32).steps());
    }

    @Test
    void minimalRequestTakesTheDefaults() throws Exception {
        GenerationRequest r = parse(MINIMAL);
        assertThat(r.requestId()).isEqualTo("r-1");
        assertThat(r.kind()).isEqualTo("image");
        assertThat(r.model()).isEqualTo("shapes-ldm");
        assertThat(r.prompts()).isEqualTo(new PromptSource.Inline(List.of(PromptEntry.of("a red circle"))));
        assertThat(r.seeds()).isEqualTo(new SeedSpec.SeedRange(1, 0));
        assertThat(r.params()).isEqualTo(RequestParams.DEFAULTS);
        assertThat(r.output()).isEqualTo(new OutputSpec("runs/r1", OutputFormat.PNG));
        assertThat(r.priority()).isZero();
        assertThat(r.labels()).isEmpty();
        assertThat(r.itemCount()).isEqualTo(1);
        assertThat(r.samplingParams(TestCatalog.LDM)).isEqualTo(SamplingParams.defaults(32, 32));
    }

    @Test
    void samplingParamsFillOnlyWhatTheRequestLeavesOpen() throws Exception {
        GenerationRequest r = parse(with("params", "{\"sampler\": \"ddim\", \"steps\": 30, \"eta\": 0.5, \"width\": 48}"));
        assertThat(r.samplingParams(TestCatalog.LDM))
                .isEqualTo(new SamplingParams("ddim", 30, 7.5, 0.0, 0.5, 48, 32, 0, null, null));
        GenerationRequest v = parse("""
                {"requestId": "v", "kind": "video", "model": "shapes-video", "prompts": ["a red star moving up"],
                 "output": {"location": "v", "format": "gif"}}""");
        assertThat(v.samplingParams(TestCatalog.VIDEO).frames()).isEqualTo(8);
        GenerationRequest v4 = parse("""
                {"requestId": "v", "kind": "video", "model": "shapes-video", "prompts": ["a red star moving up"],
                 "params": {"frames": 4, "fps": 12}, "output": {"location": "v", "format": "mp4"}}""");
        assertThat(v4.samplingParams(TestCatalog.VIDEO).frames()).isEqualTo(4);
        assertThat(v4.params().fps()).isEqualTo(12);
    }

    @Test
    void unknownModelListsTheCatalog() {
        List<Violation> v = violations(MINIMAL.replace("shapes-ldm", "sdxl"));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("model", "unknown-model"));
        assertThat(v.get(0).message()).contains("'sdxl'").contains("shapes-ldm, shapes-pixel, shapes-video, shapes-lcm");
    }

    @Test
    void kindMustMatchTheModel() {
        List<Violation> v = violations(MINIMAL.replace("shapes-ldm", "shapes-video"));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("kind", "kind-mismatch"));
        assertThat(v.get(0).message()).contains("image").contains("video");
    }

    @Test
    void framesAreForVideoOnly() {
        assertThat(violations(with("params", "{\"frames\": 8}"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("params.frames", "video-only"));
    }

    @Test
    void rangesNameTheFieldAndTheLimits() {
        List<Violation> v = violations(with("params", "{\"steps\": 0, \"guidance\": 250, \"width\": 0, \"height\": 9000,"
                + " \"guidanceRescale\": 2, \"eta\": -1}"));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                tuple("params.steps", "range"), tuple("params.guidance", "range"), tuple("params.width", "range"),
                tuple("params.height", "range"), tuple("params.guidanceRescale", "range"), tuple("params.eta", "range"));
        assertThat(v).filteredOn(x -> x.field().equals("params.steps")).first()
                .extracting(Violation::message).asString().contains("between 1 and 1000").contains("was 0");
        assertThat(violations(with("params", "{\"steps\": 1001}")).get(0).message()).contains("1001");
    }

    @Test
    void unknownSamplerListsTheEngineSamplers() {
        Violation v = violations(with("params", "{\"sampler\": \"plms\"}")).get(0);
        assertThat(v.field()).isEqualTo("params.sampler");
        assertThat(v.rule()).isEqualTo("unknown-sampler");
        assertThat(v.message()).contains("'plms'").contains("dpmpp-2m-karras");
    }

    @Test
    void wrongTypesAndUnknownFieldsAreNamed() {
        List<Violation> v = violations(with("params", "{\"steps\": \"20\", \"stepz\": 20}"));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                tuple("params.steps", "type"), tuple("params.stepz", "unknown-field"));
        assertThat(v).filteredOn(x -> x.rule().equals("unknown-field")).first().extracting(Violation::message)
                .asString().contains("'stepz'").contains("steps");
        assertThat(violations(with("colour", "\"red\""))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("colour", "unknown-field"));
    }

    @Test
    void maxWorkersCapsTheRunsWorkersAndIsCheckedAndKeptInTheCanonicalForm() throws Exception {
        assertThat(parse(MINIMAL).maxWorkers()).as("no cap by default").isNull();
        GenerationRequest capped = parse(with("maxWorkers", "2"));
        assertThat(capped.maxWorkers()).isEqualTo(2);
        assertThat(parse(capped.toJson())).as("the ledger's form keeps it").isEqualTo(capped);
        assertThat(parse(MINIMAL).toJson()).doesNotContain("maxWorkers");
        assertThat(violations(with("maxWorkers", "0"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("maxWorkers", "range"));
        assertThat(violations(with("maxWorkers", "1001"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("maxWorkers", "range"));
        assertThat(violations(with("maxWorkers", "\"2\""))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("maxWorkers", "type"));
    }

    @Test
    void collectsAllViolationsNotOnlyTheFirst() {
        String json = """
                {"requestId": "bad id", "kind": "audio", "model": "sdxl", "prompts": [],
                 "seeds": [1, 1], "params": {"steps": 5000}, "output": {"location": "../up", "format": "jpg"},
                 "priority": 1e9, "labels": {"a b": "c"}}""";
        assertThat(violations(json)).extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                tuple("requestId", "pattern"), tuple("kind", "enum"), tuple("model", "unknown-model"),
                tuple("prompts", "min-items"), tuple("seeds[1]", "duplicate-seed"), tuple("params.steps", "range"),
                tuple("output.location", "escapes-output-root"), tuple("output.format", "enum"),
                tuple("priority", "range"), tuple("labels[\"a b\"]", "pattern"));
    }

    @Test
    void missingFieldsAreRequired() {
        assertThat(violations("{}")).extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                tuple("requestId", "required"), tuple("kind", "required"), tuple("model", "required"),
                tuple("prompts", "required"), tuple("output", "required"));
    }

    @Test
    void aOneMegabytePromptIsTooLongNotACrash() {
        String huge = "x".repeat(1 << 20);
        List<Violation> v = violations(MINIMAL.replace("\"a red circle\"", "{\"prompt\": \"" + huge + "\"}"));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("prompts[0].prompt", "too-long"));
        assertThat(v.get(0).message()).contains("at most 2000").contains("was 1048576");
    }

    @Test
    void promptLengthCountsCodePoints() throws Exception {
        String astral = "🟥".repeat(2000); // 4000 UTF-16 units, 2000 code points
        assertThat(parse(MINIMAL.replace("a red circle", astral)).prompts().entry(0).prompt()).isEqualTo(astral);
        assertThat(violations(MINIMAL.replace("a red circle", astral + "x"))).extracting(Violation::rule)
                .containsExactly("too-long");
    }

    @Test
    void aPayloadOverTheLimitIsRefusedBeforeReading() {
        byte[] bytes = MINIMAL.getBytes(StandardCharsets.UTF_8);
        List<Violation> v = violations(bytes, RequestLimits.DEFAULTS.withMaxPayloadBytes(bytes.length - 1));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("$", "too-large"));
    }

    @Test
    void sqlLookingTextIsKeptVerbatim() throws Exception {
        String sql = "'; DROP TABLE requests; -- \\\" OR 1=1 /* */ $$ E'\\\\x00'";
        GenerationRequest r = parse(with("labels", "{\"note\": \"" + sql + "\"}").replace("a red circle", sql));
        String expected = "'; DROP TABLE requests; -- \" OR 1=1 /* */ $$ E'\\x00'";
        assertThat(r.prompts().entry(0).prompt()).isEqualTo(expected);
        assertThat(r.labels()).containsEntry("note", expected);
        assertThat(r.expansion().item(0).prompt()).isEqualTo(expected);
        assertThat(parse(r.toJson())).isEqualTo(r);
    }

    @Test
    void nonUtf8BytesAreRefusedWithTheirOffset() {
        byte[] good = MINIMAL.getBytes(StandardCharsets.UTF_8);
        int at = MINIMAL.indexOf("red");
        for (byte[] bad : List.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80} /* an encoded surrogate */,
                new byte[] {(byte) 0xC0, (byte) 0xAF} /* overlong '/' */)) {
            byte[] bytes = new byte[good.length + bad.length];
            System.arraycopy(good, 0, bytes, 0, at);
            System.arraycopy(bad, 0, bytes, at, bad.length);
            System.arraycopy(good, at, bytes, at + bad.length, good.length - at);
            List<Violation> v = violations(bytes, RequestLimits.DEFAULTS);
            assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("$", "utf8"));
            assertThat(v.get(0).message()).contains("byte offset " + at);
        }
        byte[] truncated = java.util.Arrays.copyOf(good, good.length + 1);
        truncated[good.length] = (byte) 0xE2; // a 3-byte sequence cut short at the end
        assertThat(violations(truncated, RequestLimits.DEFAULTS)).extracting(Violation::rule).containsExactly("utf8");
    }

    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        byte[] body = MINIMAL.getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[body.length + 3];
        bytes[0] = (byte) 0xEF;
        bytes[1] = (byte) 0xBB;
        bytes[2] = (byte) 0xBF;
        System.arraycopy(body, 0, bytes, 3, body.length);
        assertThat(RequestParser.parse(bytes, RequestLimits.DEFAULTS, TestCatalog.CATALOG)).isEqualTo(parse(MINIMAL));
    }

    @Test
    void malformedJsonDuplicateKeysAndTrailingTokens() {
        Violation malformed = violations("{\"requestId\": \"x\",\n \"kind\": }").get(0);
        assertThat(malformed.field()).isEqualTo("$");
        assertThat(malformed.rule()).isEqualTo("json");
        assertThat(malformed.message()).contains("line 2");
        assertThat(violations(MINIMAL + " {}")).extracting(Violation::rule).containsExactly("json");
        assertThat(violations("")).extracting(Violation::rule).containsExactly("json");
        assertThat(violations("[]")).extracting(Violation::field, Violation::rule).containsExactly(tuple("$", "type"));
        Violation dup = violations(MINIMAL.replace("\"kind\": \"image\"", "\"kind\": \"image\", \"kind\": \"video\"")).get(0);
        assertThat(dup.rule()).isEqualTo("duplicate-key");
        assertThat(dup.message()).contains("kind");
    }

    @Test
    void deeplyNestedJsonIsRefusedNotAStackOverflow() {
        String deep = with("labels", "[".repeat(200_000) + "]".repeat(200_000));
        assertThat(violations(deep)).extracting(Violation::field, Violation::rule).containsExactly(tuple("$", "json"));
    }

    @Test
    void theSchemaKeyIsAllowedButMustBeText() throws Exception {
        assertThat(parse(with("$schema", "\"../schema/request.schema.json\""))).isEqualTo(parse(MINIMAL));
        assertThat(violations(with("$schema", "5"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("$schema", "type"));
    }

    @Test
    void nulAndUnpairedSurrogatesInTextAreRefused() {
        assertThat(violations(MINIMAL.replace("a red circle", "a\\u0000b"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("prompts[0]", "nul"));
        assertThat(violations(MINIMAL.replace("a red circle", "a\\udc00b"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("prompts[0]", "unpaired-surrogate"));
    }

    @Test
    void tooManyItemsCountsWithoutExpanding() {
        String json = with("seeds", "{\"count\": 3000}").replace("[\"a red circle\"]",
                "{\"template\": \"{a} {b}\", \"slots\": {\"a\": " + numbers(100) + ", \"b\": " + numbers(100) + "}}");
        List<Violation> v = violations(json.getBytes(StandardCharsets.UTF_8), RequestLimits.DEFAULTS.withMaxItems(29_999_999));
        assertThat(v).extracting(Violation::field, Violation::rule).containsExactly(tuple("$", "too-many-items"));
        assertThat(v.get(0).message()).contains("30000000 items").contains("10000 prompts × 3000 seeds")
                .contains("29999999");
    }

    @Test
    void outputLocationRules() {
        assertThat(violations(MINIMAL.replace("runs/r1", "../r1"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("output.location", "escapes-output-root"));
        assertThat(violations(MINIMAL.replace("runs/r1", "/tmp/r1"))).extracting(Violation::rule)
                .containsExactly("escapes-output-root");
        assertThat(violations(MINIMAL.replace("runs/r1", "runs/../../r1"))).extracting(Violation::rule)
                .containsExactly("escapes-output-root");
        assertThat(violations(MINIMAL.replace("runs/r1", ""))).extracting(Violation::rule).containsExactly("required");
        assertThat(violations(MINIMAL.replace("runs/r1", "runs\\u0000r1"))).extracting(Violation::rule)
                .containsExactly("nul");
        assertThat(violations(MINIMAL.replace("png", "mp4"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("output.format", "format-kind"));
    }

    @Test
    void seedsRules() throws Exception {
        assertThat(parse(with("seeds", "[5, 3, 9007199254740991]")).seeds())
                .isEqualTo(new SeedSpec.SeedList(List.of(5L, 3L, 9007199254740991L)));
        assertThat(parse(with("seeds", "{\"count\": 4, \"base\": 10}")).seeds()).isEqualTo(new SeedSpec.SeedRange(4, 10));
        assertThat(parse(with("seeds", "{\"count\": 4}")).seeds()).isEqualTo(new SeedSpec.SeedRange(4, 0));
        assertThat(violations(with("seeds", "[9007199254740992]"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("seeds[0]", "range"));
        assertThat(violations(with("seeds", "{\"count\": 2, \"base\": 9007199254740991}")))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("seeds", "range"));
        assertThat(violations(with("seeds", "[1.5]"))).extracting(Violation::field, Violation::rule)
                .containsExactly(tuple("seeds[0]", "type"));
    }

    @Test
    void promptSourceForms() throws Exception {
        GenerationRequest jsonl = parse(MINIMAL.replace("[\"a red circle\"]",
                "{\"jsonl\": \"{\\\"prompt\\\": \\\"a\\\", \\\"seed\\\": 4}\\n\\n{\\\"prompt\\\": \\\"b\\\", \\\"negative\\\": \\\"c\\\"}\\n\"}"));
        assertThat(jsonl.prompts()).isEqualTo(new PromptSource.Jsonl(List.of(
                new PromptEntry("a", null, 4L, Map.of()), new PromptEntry("b", "c", null, Map.of()))));
        List<Violation> badLine = violations(MINIMAL.replace("[\"a red circle\"]",
                "{\"jsonl\": \"{\\\"prompt\\\": \\\"a\\\"}\\n\\n{\\\"prompt\\\": 7}\\nnot json\\n\"}"));
        assertThat(badLine).extracting(Violation::field, Violation::rule).containsExactly(
                tuple("prompts.jsonl[2].prompt", "type"), tuple("prompts.jsonl[3]", "json"));
        assertThat(badLine.get(1).message()).contains("line 4").contains("at column");
        assertThat(violations(MINIMAL.replace("[\"a red circle\"]", "{\"template\": \"a\", \"jsonl\": \"\"}")))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("prompts", "prompt-source"));
        assertThat(violations(MINIMAL.replace("[\"a red circle\"]", "{\"file\": \"p.jsonl\"}")))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("prompts.file", "no-input-root"));
    }

    @Test
    void templateSlotRules() {
        assertThat(violations(MINIMAL.replace("[\"a red circle\"]",
                "{\"template\": \"a {colour} {shape}\", \"slots\": {\"colour\": [\"red\"], \"size\": [\"big\"]}}")))
                .extracting(Violation::field, Violation::rule).containsExactlyInAnyOrder(
                        tuple("prompts.slots", "missing-slot"), tuple("prompts.slots.size", "unused-slot"));
        assertThat(violations(MINIMAL.replace("[\"a red circle\"]",
                "{\"template\": \"{a}{b}\", \"slots\": {\"a\": " + numbers(1001) + ", \"b\": " + numbers(1000) + "}}")))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("prompts.slots", "too-many-prompts"));
        String long1000 = "x".repeat(1000);
        assertThat(violations(MINIMAL.replace("[\"a red circle\"]",
                "{\"template\": \"{a} {a}\", \"slots\": {\"a\": [\"" + long1000 + "\"]}}")))
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("prompts.template", "too-long"));
    }

    @Test
    void promptFilesAreReadUnderTheInputRootOnly(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("in"));
        Files.createDirectories(root.resolve("sets"));
        Files.writeString(root.resolve("sets/a.jsonl"), "{\"prompt\": \"a\"}\n{\"prompt\": \"b\", \"seed\": 3}\n");
        Files.writeString(dir.resolve("secret.jsonl"), "{\"prompt\": \"secret\"}\n");
        Files.createSymbolicLink(root.resolve("link.jsonl"), dir.resolve("secret.jsonl"));
        String json = MINIMAL.replace("[\"a red circle\"]", "{\"file\": \"sets/a.jsonl\"}");
        GenerationRequest r = RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), RequestLimits.DEFAULTS,
                TestCatalog.CATALOG, root);
        assertThat(r.prompts()).isEqualTo(new PromptSource.Jsonl(List.of(PromptEntry.of("a"),
                new PromptEntry("b", null, 3L, Map.of()))));
        assertThat(r.toJson()).doesNotContain("sets/a.jsonl");
        for (String escape : List.of("../secret.jsonl", "link.jsonl", dir.resolve("secret.jsonl").toString())) {
            try {
                RequestParser.parse(json.replace("sets/a.jsonl", escape).getBytes(StandardCharsets.UTF_8),
                        RequestLimits.DEFAULTS, TestCatalog.CATALOG, root);
                throw new AssertionError("read " + escape);
            } catch (InvalidRequestException e) {
                assertThat(e.violations()).extracting(Violation::field, Violation::rule)
                        .containsExactly(tuple("prompts.file", "escapes-input-root"));
            }
        }
    }

    @Test
    void theExceptionCarriesTheRequestIdAndAReadableMessage() {
        try {
            parse(with("params", "{\"steps\": 0}"));
            throw new AssertionError();
        } catch (InvalidRequestException e) {
            assertThat(e.requestId()).isEqualTo("r-1");
            assertThat(e.getMessage()).contains("params.steps").contains("[range]");
        }
        assertThat(InvalidRequestException.duplicateRequestId("r-1").violations())
                .extracting(Violation::field, Violation::rule).containsExactly(tuple("requestId", "duplicate-request-id"));
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> RequestParser.parse(null, RequestLimits.DEFAULTS, TestCatalog.CATALOG))
                .isInstanceOf(NullPointerException.class);
    }

    static String numbers(int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(i).append('"');
        }
        return b.append(']').toString();
    }
}
