package io.diffusionbatch.request;

import io.diffusionbatch.engine.ModelGeometry;
import io.diffusionbatch.engine.ParamViolation;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.sampler.Samplers;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.media.OutputFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;

/**
 * Reads a request document (the JSON on the {@code requests} topic, or a file given to the CLI) into a
 * {@link GenerationRequest}, checking every rule of the contract. {@code config/schema/request.schema.json} states
 * the same structural rules; the parser adds those a schema cannot express (catalog, kind of the model, the engine's
 * own parameter checks, item totals, template slots, seed ranges, duplicate keys, unpaired surrogates). For a catalog
 * model with a {@link CatalogModel#geometry() geometry} the engine's checks of that model apply too: width and height a
 * multiple of its size factor and equal to the sizes its graphs fix ({@code model-size}), guidance of an unconditional
 * model ({@code model-kind}), the largest tensor ({@code tensor-size}), and the memory one micro-batch of
 * {@link RequestLimits#microBatch()} items needs by the engine's estimate, at most {@link RequestLimits#maxBatchBytes()}
 * ({@code batch-memory}). These are data read when the catalog opened the model: no network runs here.
 *
 * <p>All violations found are reported together (up to {@link #MAX_VIOLATIONS}), each naming the field by its JSON
 * path and the rule by its id ({@link Violation.Rules}); only bytes that are not UTF-8, malformed JSON and a payload
 * over the size limit stop the parse at once. Text is never interpreted: prompts, labels and ids that look like SQL,
 * HTML or shell are kept verbatim.
 *
 * <p>Prompt files: {@code "prompts": {"file": "sets/a.jsonl"}} is accepted only by
 * {@link #parse(byte[], RequestLimits, ModelCatalog, Path)} with an input root (the CLI passes its working folder);
 * the path obeys the output location's rules ({@link OutputLocation}) against that root, and the file's lines are
 * inlined, so the record (and its canonical JSON) holds a {@link PromptSource.Jsonl} and never refers to the file.
 * Messages on the Kafka topic have no input root and get {@code no-input-root}.
 *
 * <p>Stateless and thread-safe. The parser has no memory of earlier requests: duplicate {@code requestId}s are the
 * ledger's to refuse ({@link InvalidRequestException#duplicateRequestId}).
 */
public final class RequestParser {

    /** Most violations collected before the parser stops listing them. */
    public static final int MAX_VIOLATIONS = 100;

    static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9_.:/-]{1,64}");
    static final Pattern SLOT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final List<String> KINDS = List.of(GenerationRequest.IMAGE, GenerationRequest.VIDEO);
    static final List<String> FORMATS = List.of("png", "npy", "gif", "mp4");
    static final List<String> TIMESTEP_SPACINGS = List.of("leading", "trailing", "linspace");
    static final List<String> PREDICTION_TYPES = List.of("epsilon", "v_prediction", "sample");

    private static final List<String> ROOT_FIELDS = List.of("$schema", "requestId", "kind", "model", "prompts",
            "seeds", "params", "output", "priority", "labels", "maxWorkers", "dataset");
    private static final List<String> PARAM_FIELDS = List.of("sampler", "steps", "guidance", "guidanceRescale", "eta",
            "width", "height", "frames", "fps", "negativePrompt", "timestepSpacing", "predictionType");
    private static final List<String> ENTRY_FIELDS = List.of("prompt", "negative", "seed", "labels");
    private static final List<String> OUTPUT_FIELDS = List.of("location", "format");
    private static final List<String> RANGE_FIELDS = List.of("count", "base");
    private static final List<String> DATASET_FIELDS = List.of("name", "night", "specSha256", "spec");
    private static final Pattern DATASET_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final List<String> TEMPLATE_FIELDS = List.of("template", "slots", "negative");
    private RequestParser() {
    }

    /**
     * Parses and validates a request. Prompt files are refused ({@code no-input-root}).
     *
     * @param payload the document's bytes (UTF-8; a leading byte-order mark is skipped); never null
     * @param limits  the size limits; never null
     * @param catalog the models requests may name; never null
     * @throws InvalidRequestException with every violation found
     */
    public static GenerationRequest parse(byte[] payload, RequestLimits limits, ModelCatalog catalog)
            throws InvalidRequestException {
        return parse(payload, limits, catalog, null);
    }

    /**
     * As {@link #parse(byte[], RequestLimits, ModelCatalog)}, reading {@code {"file": ...}} prompt sources under
     * {@code inputRoot} (null: refused).
     */
    public static GenerationRequest parse(byte[] payload, RequestLimits limits, ModelCatalog catalog, Path inputRoot)
            throws InvalidRequestException {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(catalog, "catalog");
        Walk w = new Walk(limits, catalog, inputRoot);
        if (payload.length > limits.maxPayloadBytes()) {
            w.add("$", Violation.Rules.TOO_LARGE, "the document is " + payload.length + " bytes, more than the limit of "
                    + limits.maxPayloadBytes() + " bytes");
            throw w.failure(null);
        }
        String text = decodeUtf8(payload, "$", w);
        if (text == null) {
            throw w.failure(null);
        }
        JsonNode root = readJson(text, "$", "the document", w);
        if (root == null) {
            throw w.failure(null);
        }
        if (!root.isObject()) {
            w.add("$", Violation.Rules.TYPE, "the document must be a JSON object, was " + typeName(root));
            throw w.failure(null);
        }
        return w.request(root);
    }

    /** Decodes strict UTF-8 (REPORT on malformed or unmappable input); null and a violation when not UTF-8. */
    static String decodeUtf8(byte[] bytes, String field, Walk w) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            StringBuilder hex = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + Math.max(1, result.length())); i++) {
                hex.append(String.format(Locale.ROOT, " %02X", bytes[i] & 0xff));
            }
            w.add(field, Violation.Rules.UTF8, "is not valid UTF-8: malformed byte sequence at byte offset " + at
                    + " (bytes" + hex + ")");
            return null;
        }
        out.flip();
        String s = out.toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    private static JsonNode readJson(String text, String field, String what, Walk w) {
        try {
            JsonNode node = RequestJson.MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                w.add(field, Violation.Rules.JSON, what + " is empty; a JSON object is expected");
                return null;
            }
            return node;
        } catch (JacksonException e) {
            String original = e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage();
            TokenStreamLocation loc = e.getLocation();
            String where = loc == null ? "" : what.startsWith("line ") ? " at column " + loc.getColumnNr()
                    : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            if (original != null && original.startsWith("Duplicate")) {
                w.add(field, Violation.Rules.DUPLICATE_KEY, what + " has a duplicate key" + where + ": " + original);
            } else {
                w.add(field, Violation.Rules.JSON, what + " is not valid JSON" + where + ": " + firstLine(original));
            }
            return null;
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static String typeName(JsonNode n) {
        if (n.isObject()) {
            return "an object";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isString()) {
            return "a string";
        }
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        if (n.isNull()) {
            return "null";
        }
        return n.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /** One parse: the collected violations and the walk over the tree. */
    static final class Walk {
        private final RequestLimits limits;
        private final ModelCatalog catalog;
        private final Path inputRoot;
        private final List<Violation> violations = new ArrayList<>();
        private int dropped;

        Walk(RequestLimits limits, ModelCatalog catalog, Path inputRoot) {
            this.limits = limits;
            this.catalog = catalog;
            this.inputRoot = inputRoot;
        }

        void add(String field, String rule, String message) {
            if (violations.size() < MAX_VIOLATIONS) {
                violations.add(new Violation(field, rule, message));
            } else {
                dropped++;
            }
        }

        boolean has(String field) {
            return violations.stream().anyMatch(v -> v.field().equals(field));
        }

        InvalidRequestException failure(String requestId) {
            List<Violation> all = new ArrayList<>(violations);
            if (dropped > 0) {
                all.add(new Violation("$", "too-many-violations", dropped + " more violations were not listed"));
            }
            return new InvalidRequestException(all, requestId);
        }

        GenerationRequest request(JsonNode root) throws InvalidRequestException {
            fields(root, "", ROOT_FIELDS);
            if (root.has("$schema")) {
                text(root.get("$schema"), "$schema", Integer.MAX_VALUE); // allowed for editors, otherwise ignored
            }
            String requestId = required(root, "requestId", "") ? text(root.get("requestId"), "requestId", 128) : null;
            if (requestId != null && !REQUEST_ID.matcher(requestId).matches()) {
                add("requestId", Violation.Rules.PATTERN, "must match " + REQUEST_ID.pattern()
                        + " (a letter or digit, then up to 127 letters, digits, '.', '_', ':' or '-'), was '"
                        + shorten(requestId) + "'");
                requestId = null;
            }
            String kind = required(root, "kind", "") ? oneOf(root.get("kind"), "kind", KINDS, Violation.Rules.ENUM) : null;
            String modelName = required(root, "model", "") ? text(root.get("model"), "model", 128) : null;
            CatalogModel model = null;
            if (modelName != null) {
                Optional<CatalogModel> found = catalog.find(modelName);
                if (found.isEmpty()) {
                    add("model", Violation.Rules.UNKNOWN_MODEL, "unknown model '" + shorten(modelName)
                            + "'; the catalog has: " + String.join(", ", catalog.names()));
                } else {
                    model = found.get();
                }
            }
            PromptSource prompts = required(root, "prompts", "") ? prompts(root.get("prompts")) : null;
            SeedSpec seeds = root.has("seeds") ? seeds(root.get("seeds")) : SeedSpec.defaultSeeds();
            RequestParams params = root.has("params") ? params(root.get("params")) : RequestParams.DEFAULTS;
            OutputSpec output = required(root, "output", "") ? output(root.get("output")) : null;
            Long priority = root.has("priority") ? integer(root.get("priority"), "priority",
                    GenerationRequest.MIN_PRIORITY, GenerationRequest.MAX_PRIORITY) : Long.valueOf(0);
            Map<String, String> labels = root.has("labels") ? labels(root.get("labels"), "labels") : Map.of();
            Long maxWorkers = root.has("maxWorkers") ? integer(root.get("maxWorkers"), "maxWorkers", 1,
                    GenerationRequest.MAX_WORKERS) : null;
            boolean maxWorkersBad = root.has("maxWorkers") && maxWorkers == null;
            DatasetTag dataset = root.has("dataset") ? dataset(root.get("dataset")) : null;
            boolean datasetBad = root.has("dataset") && dataset == null;
            if (!root.has("dataset") && labels != null) {
                for (String key : labels.keySet()) {
                    if (key.equals("dataset") || key.startsWith("dataset.")) {
                        add(member("labels", key), Violation.Rules.RESERVED_LABEL, "labels dataset and dataset.* "
                                + "belong to dataset nights (a request with a dataset field, made by 'dataset run')");
                    }
                }
            }

            if (model != null && kind != null && !model.kind().equals(kind)) {
                add("kind", Violation.Rules.KIND_MISMATCH, "the request's kind is " + kind + " but model '"
                        + model.name() + "' makes " + model.kind());
            }
            String effectiveKind = kind != null ? kind : model != null ? model.kind() : null;
            if (params != null && GenerationRequest.IMAGE.equals(effectiveKind)) {
                if (params.frames() != null) {
                    add("params.frames", Violation.Rules.VIDEO_ONLY, "is for video requests only; this request's"
                            + " kind is image");
                }
                if (params.fps() != null) {
                    add("params.fps", Violation.Rules.VIDEO_ONLY, "is for video requests only; this request's kind"
                            + " is image");
                }
            }
            if (output != null && effectiveKind != null) {
                boolean video = GenerationRequest.VIDEO.equals(effectiveKind);
                OutputFormat f = output.format();
                if (video ? !f.holdsVideo() : !f.holdsImage()) {
                    add("output.format", Violation.Rules.FORMAT_KIND, "'" + f.extension() + "' cannot hold "
                            + (video ? "a video; one of mp4, gif, npy" : "an image; one of png, npy"));
                }
            }
            if (params != null && model != null && model.kind().equals(effectiveKind)) {
                SamplingParams sp = params.samplingParams(model);
                for (ParamViolation v : sp.violations()) {
                    String field = v.param().fieldName() == null ? "params" : "params." + v.param().fieldName();
                    if (!has(field)) {
                        add(field, Violation.Rules.ENGINE, "the engine refuses the resolved value: " + v.message());
                    }
                }
                if (model.geometry() != null) {
                    modelChecks(model.geometry(), params, sp);
                }
            }
            if (prompts != null && seeds != null) {
                long items = new ItemExpansion(prompts, seeds, null).itemCount();
                if (items > limits.maxItems()) {
                    add("$", Violation.Rules.TOO_MANY_ITEMS, "the request expands to "
                            + (items == Long.MAX_VALUE ? "more than 9.2e18" : String.valueOf(items)) + " items ("
                            + prompts.promptCount() + " prompts × " + seeds.count()
                            + " seeds, prompts with their own seed counting once), more than the limit of "
                            + limits.maxItems());
                }
            }
            if (!violations.isEmpty() || prompts == null || seeds == null || params == null || output == null
                    || priority == null || labels == null || kind == null || modelName == null || requestId == null
                    || maxWorkersBad || datasetBad) {
                if (violations.isEmpty()) {
                    add("$", Violation.Rules.REQUIRED, "the request is incomplete");
                }
                throw failure(requestId);
            }
            return new GenerationRequest(requestId, kind, modelName, prompts, seeds, params, output,
                    priority.intValue(), labels, maxWorkers == null ? null : maxWorkers.intValue(), dataset);
        }

        /**
         * The {@code dataset} field's form: name, night (a date), the spec's sha256, and the spec (its canonical JSON
         * as a string, with that hash). The spec's own rules are intake's to check.
         */
        private DatasetTag dataset(JsonNode n) {
            if (!n.isObject()) {
                add("dataset", Violation.Rules.TYPE, "must be an object, was " + typeName(n));
                return null;
            }
            fields(n, "dataset", DATASET_FIELDS);
            String name = required(n, "name", "dataset") ? text(n.get("name"), "dataset.name", 63) : null;
            if (name != null && !DATASET_NAME.matcher(name).matches()) {
                add("dataset.name", Violation.Rules.PATTERN, "must match " + DATASET_NAME.pattern() + ", was '"
                        + shorten(name) + "'");
                name = null;
            }
            String nightText = required(n, "night", "dataset") ? text(n.get("night"), "dataset.night", 10) : null;
            java.time.LocalDate night = null;
            if (nightText != null) {
                try {
                    night = java.time.LocalDate.parse(nightText);
                } catch (java.time.format.DateTimeParseException e) {
                    add("dataset.night", Violation.Rules.PATTERN, "must be a date YYYY-MM-DD, was '" + nightText + "'");
                }
            }
            String sha = required(n, "specSha256", "dataset") ? text(n.get("specSha256"), "dataset.specSha256", 64)
                    : null;
            if (sha != null && !SHA256.matcher(sha).matches()) {
                add("dataset.specSha256", Violation.Rules.PATTERN, "must be 64 lowercase hex digits");
                sha = null;
            }
            String spec = null;
            if (required(n, "spec", "dataset")) {
                // the spec's JSON as text: a JSON object in the ledger's JSONB would lose its key order, and a
                // spec's slot values (a mapping of value to weight) are in order
                spec = text(n.get("spec"), "dataset.spec", limits.maxPayloadBytes());
                if (spec != null && !spec.startsWith("{")) {
                    add("dataset.spec", Violation.Rules.TYPE, "must be the spec's canonical JSON, an object as text");
                    spec = null;
                } else if (spec != null) {
                    if (sha != null && !sha.equals(ItemWriter.sha256(spec.getBytes(StandardCharsets.UTF_8)))) {
                        add("dataset.specSha256", Violation.Rules.CHECKSUM, "is not the sha256 of dataset.spec's JSON ("
                                + ItemWriter.sha256(spec.getBytes(StandardCharsets.UTF_8)) + ")");
                        spec = null;
                    }
                }
            }
            return name == null || night == null || sha == null || spec == null ? null
                    : new DatasetTag(name, night, sha, spec);
        }

        /**
         * The engine's checks of the model ({@link ModelGeometry#violations}: size factor, fixed sizes, frames, guidance
         * of an unconditional model, largest tensor), then its memory estimate of one micro-batch against the limit.
         */
        private void modelChecks(ModelGeometry g, RequestParams params, SamplingParams sp) {
            for (ParamViolation v : g.violations(sp, limits.microBatch())) {
                String field = v.param().fieldName() == null ? "params" : "params." + v.param().fieldName();
                if (!has(field)) {
                    add(field, v.rule(), v.message());
                }
            }
            boolean sized = !has("params") && !has("params.width") && !has("params.height") && !has("params.frames");
            long bytes = sized ? g.batchBytes(sp, limits.microBatch()) : 0;
            if (sized && bytes > limits.maxBatchBytes()) {
                String field = params.width() != null ? "params.width" : params.height() != null ? "params.height"
                        : params.frames() != null ? "params.frames" : "params";
                String what = sp.width() + "x" + sp.height() + (g.video() ? " × " + sp.frames() + " frames" : "");
                add(field, Violation.Rules.BATCH_MEMORY, what + (g.unconditionalPass(sp)
                        ? " with guidance" : "") + " needs about " + ModelGeometry.gib(bytes) + " per micro-batch of "
                        + limits.microBatch() + " on model " + g.modelName() + ", more than the limit of "
                        + ModelGeometry.gib(limits.maxBatchBytes()) + " (" + RequestLimits.MEMORY_SETTING
                        + "); ask for fewer pixels or frames, or run with a smaller diffusion.job.batch-size");
            }
        }

        // ---- prompts ----

        private PromptSource prompts(JsonNode n) {
            if (n.isArray()) {
                if (n.isEmpty()) {
                    add("prompts", Violation.Rules.MIN_ITEMS, "must hold at least one prompt");
                    return null;
                }
                List<PromptEntry> entries = new ArrayList<>(n.size());
                boolean ok = true;
                for (int i = 0; i < n.size(); i++) {
                    PromptEntry e = entryOrString(n.get(i), "prompts[" + i + "]");
                    ok &= e != null;
                    entries.add(e);
                }
                return ok ? new PromptSource.Inline(entries) : null;
            }
            if (!n.isObject()) {
                add("prompts", Violation.Rules.TYPE, "must be an array of prompts or an object with one of jsonl,"
                        + " template, file; was " + typeName(n));
                return null;
            }
            List<String> forms = new ArrayList<>();
            for (String f : List.of("jsonl", "template", "file")) {
                if (n.has(f)) {
                    forms.add(f);
                }
            }
            if (forms.size() != 1) {
                add("prompts", Violation.Rules.PROMPT_SOURCE, forms.isEmpty()
                        ? "an object of prompts must have one of jsonl, template, file; it has " + n.propertyNames()
                        : "must have only one of jsonl, template, file; it has " + String.join(" and ", forms));
                return null;
            }
            switch (forms.get(0)) {
                case "jsonl": {
                    fields(n, "prompts", List.of("jsonl"));
                    String text = text(n.get("jsonl"), "prompts.jsonl", Integer.MAX_VALUE);
                    if (text == null) {
                        return null;
                    }
                    List<PromptEntry> entries = jsonl(text, "prompts.jsonl");
                    return entries == null ? null : new PromptSource.Jsonl(entries);
                }
                case "file": {
                    fields(n, "prompts", List.of("file"));
                    String file = text(n.get("file"), "prompts.file", OutputLocation.MAX_CHARS);
                    if (file == null) {
                        return null;
                    }
                    List<PromptEntry> entries = file(file);
                    return entries == null ? null : new PromptSource.Jsonl(entries);
                }
                default:
                    fields(n, "prompts", TEMPLATE_FIELDS);
                    return template(n);
            }
        }

        private List<PromptEntry> file(String file) {
            if (inputRoot == null) {
                add("prompts.file", Violation.Rules.NO_INPUT_ROOT, "prompt files are read only where the reader has"
                        + " an input folder (the CLI); inline the file as {\"jsonl\": \"...\"} instead");
                return null;
            }
            byte[] bytes;
            try {
                Path path = OutputLocation.resolve(inputRoot, file, "prompts.file", Violation.Rules.ESCAPES_INPUT_ROOT);
                long size = Files.size(path);
                if (size > limits.maxPayloadBytes()) {
                    add("prompts.file", Violation.Rules.TOO_LARGE, "'" + shorten(file) + "' is " + size
                            + " bytes, more than the limit of " + limits.maxPayloadBytes() + " bytes");
                    return null;
                }
                bytes = Files.readAllBytes(path);
            } catch (InvalidRequestException e) {
                e.violations().forEach(v -> add(v.field(), v.rule(), v.message()));
                return null;
            } catch (IOException e) {
                add("prompts.file", Violation.Rules.UNREADABLE, "cannot read '" + shorten(file) + "' under the input"
                        + " folder: " + e);
                return null;
            }
            String text = decodeUtf8(bytes, "prompts.file", this);
            return text == null ? null : jsonl(text, "prompts.file");
        }

        private List<PromptEntry> jsonl(String text, String path) {
            String[] lines = text.split("\n", -1);
            List<PromptEntry> entries = new ArrayList<>();
            boolean ok = true;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
                if (line.isBlank()) {
                    continue;
                }
                String at = path + "[" + i + "]";
                JsonNode node = readJson(line, at, "line " + (i + 1), this);
                if (node == null) {
                    ok = false;
                    continue;
                }
                if (!node.isObject()) {
                    add(at, Violation.Rules.TYPE, "line " + (i + 1) + " must be a JSON object with a prompt, was "
                            + typeName(node));
                    ok = false;
                    continue;
                }
                PromptEntry e = entry(node, at);
                ok &= e != null;
                entries.add(e);
            }
            if (ok && entries.isEmpty()) {
                add(path, Violation.Rules.MIN_ITEMS, "must hold at least one prompt line");
            }
            return ok && !entries.isEmpty() ? entries : null;
        }

        private PromptEntry entryOrString(JsonNode n, String path) {
            if (n.isString()) {
                String p = text(n, path, limits.maxPromptChars());
                return p == null ? null : PromptEntry.of(p);
            }
            if (n.isObject()) {
                return entry(n, path);
            }
            add(path, Violation.Rules.TYPE, "must be a string or an object with a prompt, was " + typeName(n));
            return null;
        }

        private PromptEntry entry(JsonNode n, String path) {
            int before = violations.size() + dropped;
            fields(n, path, ENTRY_FIELDS);
            String prompt = required(n, "prompt", path) ? text(n.get("prompt"), path + ".prompt",
                    limits.maxPromptChars()) : null;
            String negative = n.has("negative") ? text(n.get("negative"), path + ".negative",
                    limits.maxPromptChars()) : null;
            Long seed = n.has("seed") ? integer(n.get("seed"), path + ".seed", 0, SeedSpec.MAX_SEED) : null;
            Map<String, String> labels = n.has("labels") ? labels(n.get("labels"), path + ".labels") : Map.of();
            if (violations.size() + dropped != before || prompt == null || labels == null) {
                return null;
            }
            return new PromptEntry(prompt, negative, seed, labels);
        }

        private PromptSource template(JsonNode n) {
            int before = violations.size() + dropped;
            String template = required(n, "template", "prompts") ? text(n.get("template"), "prompts.template",
                    limits.maxPromptChars()) : null;
            String negative = n.has("negative") ? text(n.get("negative"), "prompts.negative",
                    limits.maxPromptChars()) : null;
            Map<String, List<String>> slots = new LinkedHashMap<>();
            JsonNode s = n.get("slots");
            if (s != null && !s.isObject()) {
                add("prompts.slots", Violation.Rules.TYPE, "must be an object of slot name → list of values, was "
                        + typeName(s));
            } else if (s != null) {
                for (String name : s.propertyNames()) {
                    String at = member("prompts.slots", name);
                    if (!SLOT_NAME.matcher(name).matches()) {
                        add(at, Violation.Rules.PATTERN, "slot names must match " + SLOT_NAME.pattern());
                        continue;
                    }
                    JsonNode values = s.get(name);
                    if (!values.isArray()) {
                        add(at, Violation.Rules.TYPE, "must be a list of strings, was " + typeName(values));
                        continue;
                    }
                    if (values.isEmpty()) {
                        add(at, Violation.Rules.MIN_ITEMS, "must hold at least one value");
                        continue;
                    }
                    List<String> list = new ArrayList<>(values.size());
                    for (int i = 0; i < values.size(); i++) {
                        list.add(text(values.get(i), at + "[" + i + "]", limits.maxPromptChars()));
                    }
                    slots.put(name, list);
                }
            }
            if (template == null || violations.size() + dropped != before) {
                return null;
            }
            List<String> placeholders = PromptSource.Template.placeholders(template);
            for (String p : placeholders) {
                if (!slots.containsKey(p)) {
                    add("prompts.slots", Violation.Rules.MISSING_SLOT, "the template's placeholder {" + p
                            + "} has no slot");
                }
            }
            for (String name : slots.keySet()) {
                if (!placeholders.contains(name)) {
                    add(member("prompts.slots", name), Violation.Rules.UNUSED_SLOT, "the template has no placeholder {"
                            + name + "}");
                }
            }
            if (violations.size() + dropped != before) {
                return null;
            }
            long product = 1;
            for (List<String> values : slots.values()) {
                product = PromptSource.saturatingMultiply(product, values.size());
            }
            if (product > limits.maxTemplateProduct()) {
                add("prompts.slots", Violation.Rules.TOO_MANY_PROMPTS, "the template expands to " + product
                        + " prompts, more than the limit of " + limits.maxTemplateProduct());
                return null;
            }
            PromptSource.Template t = new PromptSource.Template(template, slots, negative);
            long longest = t.maxPromptCodePoints();
            if (longest > limits.maxPromptChars()) {
                add("prompts.template", Violation.Rules.TOO_LONG, "expands to prompts of up to " + longest
                        + " characters, more than the limit of " + limits.maxPromptChars());
                return null;
            }
            return t;
        }

        // ---- seeds, params, output ----

        private SeedSpec seeds(JsonNode n) {
            if (n.isArray()) {
                if (n.isEmpty()) {
                    add("seeds", Violation.Rules.MIN_ITEMS, "must hold at least one seed");
                    return null;
                }
                List<Long> seeds = new ArrayList<>(n.size());
                Map<Long, Integer> seen = new HashMap<>();
                boolean ok = true;
                for (int i = 0; i < n.size(); i++) {
                    Long s = integer(n.get(i), "seeds[" + i + "]", 0, SeedSpec.MAX_SEED);
                    if (s == null) {
                        ok = false;
                        continue;
                    }
                    Integer first = seen.putIfAbsent(s, i);
                    if (first != null) {
                        add("seeds[" + i + "]", Violation.Rules.DUPLICATE_SEED, "seed " + s + " repeats seeds["
                                + first + "]; seeds must be distinct");
                        ok = false;
                    }
                    seeds.add(s);
                }
                return ok ? new SeedSpec.SeedList(seeds) : null;
            }
            if (!n.isObject()) {
                add("seeds", Violation.Rules.TYPE, "must be a list of seeds or {\"count\": N, \"base\": B}, was "
                        + typeName(n));
                return null;
            }
            fields(n, "seeds", RANGE_FIELDS);
            Long count = required(n, "count", "seeds") ? integer(n.get("count"), "seeds.count", 1, limits.maxItems())
                    : null;
            Long base = n.has("base") ? integer(n.get("base"), "seeds.base", 0, SeedSpec.MAX_SEED) : Long.valueOf(0);
            if (count == null || base == null) {
                return null;
            }
            if (base > SeedSpec.MAX_SEED - (count - 1)) {
                add("seeds", Violation.Rules.RANGE, "the last seed, base + count - 1 = " + base + " + " + count
                        + " - 1, must be at most " + SeedSpec.MAX_SEED + " (2^53 - 1)");
                return null;
            }
            return new SeedSpec.SeedRange(count, base);
        }

        private RequestParams params(JsonNode n) {
            if (!n.isObject()) {
                add("params", Violation.Rules.TYPE, "must be an object, was " + typeName(n));
                return null;
            }
            int before = violations.size() + dropped;
            fields(n, "params", PARAM_FIELDS);
            String sampler = n.has("sampler") ? oneOf(n.get("sampler"), "params.sampler", Samplers.names(),
                    Violation.Rules.UNKNOWN_SAMPLER) : null;
            Long steps = optInt(n, "steps", 1, SamplingParams.MAX_STEPS);
            Double guidance = optNumber(n, "guidance", 0, RequestParams.MAX_GUIDANCE);
            Double rescale = optNumber(n, "guidanceRescale", 0, 1);
            Double eta = optNumber(n, "eta", 0, 1);
            Long width = optInt(n, "width", 1, RequestParams.MAX_SIZE);
            Long height = optInt(n, "height", 1, RequestParams.MAX_SIZE);
            Long frames = optInt(n, "frames", 1, RequestParams.MAX_FRAMES);
            Long fps = optInt(n, "fps", 1, RequestParams.MAX_FPS);
            String negative = n.has("negativePrompt") ? text(n.get("negativePrompt"), "params.negativePrompt",
                    limits.maxPromptChars()) : null;
            String spacing = n.has("timestepSpacing") ? oneOf(n.get("timestepSpacing"), "params.timestepSpacing",
                    TIMESTEP_SPACINGS, Violation.Rules.ENUM) : null;
            String prediction = n.has("predictionType") ? oneOf(n.get("predictionType"), "params.predictionType",
                    PREDICTION_TYPES, Violation.Rules.ENUM) : null;
            if (violations.size() + dropped != before) {
                return null;
            }
            return new RequestParams(sampler, toInt(steps), guidance, rescale, eta, toInt(width), toInt(height),
                    toInt(frames), toInt(fps), negative, spacing, prediction);
        }

        private OutputSpec output(JsonNode n) {
            if (!n.isObject()) {
                add("output", Violation.Rules.TYPE, "must be an object with location and format, was " + typeName(n));
                return null;
            }
            fields(n, "output", OUTPUT_FIELDS);
            String location = null;
            if (required(n, "location", "output")) {
                location = text(n.get("location"), "output.location", Integer.MAX_VALUE);
                if (location != null) {
                    Optional<Violation> bad = OutputLocation.checkSyntax("output.location", location);
                    if (bad.isPresent()) {
                        add(bad.get().field(), bad.get().rule(), bad.get().message());
                        location = null;
                    }
                }
            }
            String format = required(n, "format", "output") ? oneOf(n.get("format"), "output.format", FORMATS,
                    Violation.Rules.ENUM) : null;
            return location == null || format == null ? null : new OutputSpec(location, OutputFormat.parse(format));
        }

        // ---- values ----

        private Map<String, String> labels(JsonNode n, String path) {
            if (!n.isObject()) {
                add(path, Violation.Rules.TYPE, "must be an object of string → string, was " + typeName(n));
                return null;
            }
            if (n.size() > RequestLimits.MAX_LABELS) {
                add(path, Violation.Rules.MAX_ITEMS, "has " + n.size() + " labels, more than the limit of "
                        + RequestLimits.MAX_LABELS);
                return null;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            boolean ok = true;
            for (String key : n.propertyNames()) {
                String at = member(path, key);
                if (!LABEL_KEY.matcher(key).matches()) {
                    add(at, Violation.Rules.PATTERN, "label keys must match " + LABEL_KEY.pattern() + ", was '"
                            + shorten(key) + "'");
                    ok = false;
                    continue;
                }
                String value = text(n.get(key), at, RequestLimits.MAX_LABEL_VALUE_CHARS);
                ok &= value != null;
                labels.put(key, value);
            }
            return ok ? labels : null;
        }

        /** Unknown keys of an object: each gets an {@code unknown-field} violation. */
        private void fields(JsonNode obj, String path, List<String> known) {
            for (String name : obj.propertyNames()) {
                if (!known.contains(name)) {
                    add(member(path, name), Violation.Rules.UNKNOWN_FIELD, "unknown field '"
                            + shorten(name) + "'" + (path.isEmpty() ? "" : " in " + path) + "; the known fields are "
                            + String.join(", ", known.stream().filter(k -> !k.startsWith("$")).toList()));
                }
            }
        }

        private boolean required(JsonNode obj, String name, String path) {
            if (obj.has(name)) {
                return true;
            }
            add(path.isEmpty() ? name : path + "." + name, Violation.Rules.REQUIRED, "is required");
            return false;
        }

        /** A string of at most {@code maxChars} code points, with no NUL and no unpaired surrogate; else null. */
        private String text(JsonNode n, String path, int maxChars) {
            if (!n.isString()) {
                add(path, Violation.Rules.TYPE, "must be a string, was " + typeName(n));
                return null;
            }
            String s = n.stringValue();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0) {
                    add(path, Violation.Rules.NUL, "must not contain NUL (\\u0000) characters; found one at " + i);
                    return null;
                }
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    add(path, Violation.Rules.UNPAIRED_SURROGATE, "holds an unpaired surrogate \\u"
                            + String.format(Locale.ROOT, "%04x", (int) c) + " at " + i
                            + ", which no UTF-8 text can hold");
                    return null;
                }
            }
            int chars = s.codePointCount(0, s.length());
            if (chars > maxChars) {
                add(path, Violation.Rules.TOO_LONG, "must be at most " + maxChars + " characters, was " + chars);
                return null;
            }
            return s;
        }

        private String oneOf(JsonNode n, String path, List<String> allowed, String rule) {
            String s = text(n, path, 256);
            if (s == null) {
                return null;
            }
            if (!allowed.contains(s)) {
                String what = rule.equals(Violation.Rules.UNKNOWN_SAMPLER) ? "unknown sampler '" : "unknown value '";
                add(path, rule, what + shorten(s) + "'; one of " + String.join(", ", allowed));
                return null;
            }
            return s;
        }

        private Long optInt(JsonNode obj, String name, long min, long max) {
            return obj.has(name) ? integer(obj.get(name), "params." + name, min, max) : null;
        }

        private Double optNumber(JsonNode obj, String name, double min, double max) {
            return obj.has(name) ? number(obj.get(name), "params." + name, min, max) : null;
        }

        /** An integer (a JSON number with no fraction, 20.0 included) in [min, max]; else null. */
        private Long integer(JsonNode n, String path, long min, long max) {
            if (!n.isNumber() || !n.canConvertToExactIntegral()) {
                add(path, Violation.Rules.TYPE, "must be an integer, was " + (n.isNumber() ? n.toString()
                        : typeName(n)));
                return null;
            }
            if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
                add(path, Violation.Rules.RANGE, "must be between " + min + " and " + max + ", was " + n);
                return null;
            }
            return n.longValue();
        }

        private Double number(JsonNode n, String path, double min, double max) {
            if (!n.isNumber()) {
                add(path, Violation.Rules.TYPE, "must be a number, was " + typeName(n));
                return null;
            }
            double v = n.doubleValue();
            if (!(v >= min && v <= max)) {
                add(path, Violation.Rules.RANGE, "must be between " + fmt(min) + " and " + fmt(max) + ", was " + n);
                return null;
            }
            return v;
        }
    }

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$-]*");

    /**
     * The JSON path of an object member: {@code path.name} for plain names, {@code path["name"]} (JSON-escaped)
     * for any other, so that a path never holds raw control characters or ambiguous dots.
     */
    static String member(String path, String name) {
        String m = PLAIN_NAME.matcher(name).matches() ? name : "[" + RequestJson.MAPPER.writeValueAsString(name) + "]";
        if (path.isEmpty()) {
            return m.startsWith("[") ? "$" + m : m;
        }
        return m.startsWith("[") ? path + m : path + "." + m;
    }

    private static Integer toInt(Long v) {
        return v == null ? null : Math.toIntExact(v);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }


    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    static Set<String> rootFields() {
        return new LinkedHashSet<>(ROOT_FIELDS);
    }
}
