package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffusionbatch.media.OutputFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RequestJsonTest {

    static List<Path> validExamples() throws Exception {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("src/platform/src/test/resources/requests/valid"))) {
            s.sorted().forEach(files::add);
        }
        try (Stream<Path> s = Files.list(Path.of("config/requests"))) {
            s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
        }
        return files;
    }

    private static GenerationRequest parse(byte[] bytes) throws InvalidRequestException {
        return RequestParser.parse(bytes, RequestLimits.DEFAULTS, TestCatalog.CATALOG);
    }

    @Test
    void canonicalJsonParsesBackToAnEqualRecordAndIsAFixedPoint() throws Exception {
        List<Path> files = validExamples();
        assertThat(files).hasSizeGreaterThan(8);
        for (Path f : files) {
            GenerationRequest r = parse(Files.readAllBytes(f));
            String json = r.toJson();
            GenerationRequest again = parse(json.getBytes(StandardCharsets.UTF_8));
            assertThat(again).as(f.toString()).isEqualTo(r);
            assertThat(again.toJson()).as(f.toString()).isEqualTo(json);
            assertThat(again.itemCount()).isEqualTo(r.itemCount());
            for (long i = 0; i < Math.min(r.itemCount(), 50); i++) {
                assertThat(again.expansion().item(i)).isEqualTo(r.expansion().item(i));
            }
        }
    }

    @Test
    void canonicalFormHasAFixedShape() throws Exception {
        GenerationRequest r = new GenerationRequest("id-1", "image", "shapes-ldm",
                new PromptSource.Inline(List.of(PromptEntry.of("a"), new PromptEntry("b", "n", 5L, Map.of("z", "1", "a", "2")))),
                new SeedSpec.SeedList(List.of(3L, 1L)),
                new RequestParams("ddim", 30, 7.0, null, null, null, null, null, null, "neg", null, null),
                new OutputSpec("runs/x", OutputFormat.PNG), 3, Map.of("team", "t", "alpha", "b"));
        assertThat(r.toJson()).isEqualTo("{\"requestId\":\"id-1\",\"kind\":\"image\",\"model\":\"shapes-ldm\","
                + "\"prompts\":[\"a\",{\"prompt\":\"b\",\"negative\":\"n\",\"seed\":5,\"labels\":{\"a\":\"2\",\"z\":\"1\"}}],"
                + "\"seeds\":[3,1],\"params\":{\"sampler\":\"ddim\",\"steps\":30,\"guidance\":7.0,\"negativePrompt\":\"neg\"},"
                + "\"output\":{\"location\":\"runs/x\",\"format\":\"png\"},\"priority\":3,"
                + "\"labels\":{\"alpha\":\"b\",\"team\":\"t\"}}");
        assertThat(parse(r.toJson().getBytes(StandardCharsets.UTF_8))).isEqualTo(r);
    }

    @Test
    void templateAndJsonlRoundTripInTheirOwnForm() throws Exception {
        GenerationRequest r = parse(Files.readAllBytes(Path.of("config/requests/demo.json")));
        assertThat(r.toJson()).contains("\"template\":\"a {size} {colour} {shape} {position} on a {background} background\"")
                .contains("\"seeds\":{\"count\":1,\"base\":1}");
        GenerationRequest j = parse(Files.readAllBytes(Path.of("src/platform/src/test/resources/requests/valid/jsonl.json")));
        assertThat(j.toJson()).contains("\"jsonl\":\"{\\\"prompt\\\":");
        assertThat(j.prompts()).isInstanceOf(PromptSource.Jsonl.class);
    }

    @Test
    void demoRequestsHaveTheAdvertisedSize() throws Exception {
        GenerationRequest demo = parse(Files.readAllBytes(Path.of("config/requests/demo.json")));
        assertThat(demo.model()).isEqualTo("shapes-ldm");
        assertThat(demo.itemCount()).isEqualTo(64); // 2 sizes × 4 colours × 4 shapes × 2 positions × 1 seed
        // captions of the shapes world (tools/shapes/world.py), the last slot varying fastest
        assertThat(demo.expansion().item(0).prompt()).isEqualTo("a small red circle in the centre on a white background");
        assertThat(demo.expansion().item(1).prompt()).isEqualTo("a small red circle at the top left on a white background");
        assertThat(demo.expansion().item(1).seed()).isEqualTo(1);
        assertThat(demo.expansion().item(63).prompt()).isEqualTo("a large yellow star at the top left on a white background");
        GenerationRequest pairs = parse(Files.readAllBytes(Path.of("config/requests/pairs.json")));
        assertThat(pairs.itemCount()).isEqualTo(16); // 5 prompts × 3 seeds + 1 prompt with its own seed
    }
}
