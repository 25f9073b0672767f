package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.media.OutputFormat;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks config/schema/request.schema.json with an independent validator (networknt, draft 2020-12) against the
 * parser on the committed examples: valid/ both accept, invalid/ both reject (and the parser names the expected
 * field and rule), semantic/ the schema accepts what only the parser can refuse.
 */
class RequestSchemaTest {

    private static final Path EXAMPLES = Path.of("src/platform/src/test/resources/requests");
    private static Schema schema;
    private static JsonNode schemaJson;

    @BeforeAll
    static void load() throws Exception {
        String text = Files.readString(Path.of("config/schema/request.schema.json"));
        schemaJson = JsonMapper.builder().build().readTree(text);
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(text);
    }

    /** The schema's verdict: null when it accepts, else why not. Bytes that are not UTF-8 JSON are refused. */
    static String schemaVerdict(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return "not UTF-8";
        }
        JsonNode doc;
        try {
            // the validator's own, lenient reader: the schema is what is under test here, not the parser's reader
            doc = JsonMapper.builder().enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build().readTree(text);
        } catch (RuntimeException e) {
            return "not JSON: " + e.getMessage();
        }
        if (doc == null || doc.isMissingNode()) {
            return "empty";
        }
        List<Error> errors = schema.validate(doc);
        return errors.isEmpty() ? null : errors.toString();
    }

    static List<Violation> parserVerdict(byte[] bytes) {
        try {
            RequestParser.parse(bytes, RequestLimits.DEFAULTS, TestCatalog.CATALOG);
            return List.of();
        } catch (InvalidRequestException e) {
            return e.violations();
        }
    }

    static List<Path> files(String group) throws Exception {
        try (Stream<Path> s = Files.list(EXAMPLES.resolve(group))) {
            return s.sorted().toList();
        }
    }

    static Map<String, String[]> expected() throws Exception {
        Map<String, String[]> m = new HashMap<>();
        for (String line : Files.readAllLines(EXAMPLES.resolve("expected.tsv"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] cols = line.split("\t");
                m.put(cols[0], cols);
            }
        }
        return m;
    }

    @Test
    void validExamplesAndTheConfigRequestsPassBoth() throws Exception {
        List<Path> all = new ArrayList<>(files("valid"));
        all.add(Path.of("config/requests/demo.json"));
        all.add(Path.of("config/requests/pairs.json"));
        for (Path f : all) {
            byte[] bytes = Files.readAllBytes(f);
            assertThat(schemaVerdict(bytes)).as("schema on " + f).isNull();
            assertThat(parserVerdict(bytes)).as("parser on " + f).isEmpty();
        }
    }

    @Test
    void invalidExamplesFailBothAndTheParserNamesFieldAndRule() throws Exception {
        Map<String, String[]> expected = expected();
        List<Path> files = files("invalid");
        assertThat(files).hasSizeGreaterThan(50);
        for (Path f : files) {
            String key = "invalid/" + f.getFileName();
            assertThat(expected).as("expected.tsv lists " + key).containsKey(key);
            byte[] bytes = Files.readAllBytes(f);
            assertThat(schemaVerdict(bytes)).as("schema on " + f).isNotNull();
            List<Violation> v = parserVerdict(bytes);
            assertThat(v).as("parser on " + f).isNotEmpty();
            String[] want = expected.get(key);
            assertThat(v).as("parser on " + f)
                    .anyMatch(x -> x.field().equals(want[1]) && x.rule().equals(want[2]));
        }
    }

    @Test
    void semanticExamplesPassTheSchemaButNotTheParser() throws Exception {
        Map<String, String[]> expected = expected();
        List<Path> files = files("semantic");
        assertThat(files).hasSizeGreaterThan(10);
        for (Path f : files) {
            String key = "semantic/" + f.getFileName();
            assertThat(expected).as("expected.tsv lists " + key).containsKey(key);
            byte[] bytes = Files.readAllBytes(f);
            if (!key.endsWith("duplicate-key.json")) { // a lenient reader keeps the last of duplicate keys
                assertThat(schemaVerdict(bytes)).as("schema on " + f).isNull();
            }
            String[] want = expected.get(key);
            assertThat(parserVerdict(bytes)).as("parser on " + f)
                    .anyMatch(x -> x.field().equals(want[1]) && x.rule().equals(want[2]));
        }
    }

    @Test
    void bytesThatAreNotUtf8FailBoth() {
        byte[] bytes = "{\"requestId\": \"a\", \"kind\": \"image\", \"model\": \"shapes-ldm\", \"prompts\": [\"X\"], \"output\": {\"location\": \"a\", \"format\": \"png\"}}"
                .getBytes(StandardCharsets.UTF_8);
        int at = new String(bytes, StandardCharsets.UTF_8).indexOf('X');
        bytes[at] = (byte) 0xFF;
        assertThat(schemaVerdict(bytes)).isNotNull();
        assertThat(parserVerdict(bytes)).extracting(Violation::rule).containsExactly("utf8");
    }

    @Test
    void schemaEnumsAndLimitsAreTheCodesOwn() {
        JsonNode props = schemaJson.get("properties");
        assertThat(strings(props.get("params").get("properties").get("sampler").get("enum")))
                .isEqualTo(Samplers.names());
        assertThat(strings(props.get("output").get("properties").get("format").get("enum")))
                .containsExactlyInAnyOrderElementsOf(Arrays.stream(OutputFormat.values()).map(OutputFormat::extension).toList());
        assertThat(strings(props.get("kind").get("enum"))).isEqualTo(RequestParser.KINDS);
        JsonNode defs = schemaJson.get("$defs");
        assertThat(defs.get("prompt").get("maxLength").asInt()).isEqualTo(RequestLimits.DEFAULTS.maxPromptChars());
        assertThat(defs.get("seed").get("maximum").asLong()).isEqualTo(SeedSpec.MAX_SEED);
        assertThat(props.get("seeds").get("oneOf").get(1).get("properties").get("count").get("maximum").asLong())
                .isEqualTo(RequestLimits.DEFAULTS.maxItems());
        assertThat(defs.get("location").get("maxLength").asInt()).isEqualTo(OutputLocation.MAX_CHARS);
        assertThat(props.get("requestId").get("pattern").asString()).isEqualTo("^" + RequestParser.REQUEST_ID.pattern() + "$");
        List<String> rootFields = new ArrayList<>(props.propertyNames());
        assertThat(rootFields).containsExactlyInAnyOrderElementsOf(RequestParser.rootFields());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
