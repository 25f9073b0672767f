package io.diffusionbatch.dataset;

import io.diffusionbatch.dataset.DatasetSpec.Seeds;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.InvalidRequestException;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import io.diffusionbatch.request.Violation;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.support.CronExpression;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a dataset spec (YAML, or JSON: a night's request embeds the spec's canonical JSON) into a {@link DatasetSpec},
 * checking every rule of docs/DATASETS.md before any work: structure and types, template slots (every placeholder
 * has a slot, every slot a placeholder), weights (positive, summing to 1 per slot and over the templates), the cron
 * expression and zone, the gate (only for a model with an evaluator), at least one item; and then the request a
 * night expands to is checked by {@link RequestParser} (catalog, kind, the engine's checks of the params, sizes,
 * limits), its violations named by the spec's fields ({@code params.steps}, {@code model}, {@code format}, ...).
 *
 * <p>Violations name the field by its path in the spec ({@code templates[0].slots.colour}) and the rule
 * ({@link Violation.Rules} and {@link Rules}); all found are reported together. Stateless and thread-safe.
 */
public final class DatasetSpecParser {

    /** Rules of specs beyond the request's. */
    public static final class Rules {
        /** A placeholder names a slot the template does not define. */
        public static final String UNKNOWN_SLOT = "unknown-slot";
        /** Weights that are not positive or do not sum to 1. */
        public static final String WEIGHTS = "weights";
        /** Not a five-field cron expression. */
        public static final String CRON = "cron";
        /** Not an IANA time zone. */
        public static final String ZONE = "zone";
        /** A quality gate on a model without an evaluator. */
        public static final String NO_EVALUATOR = "no-evaluator";
        /** A spec with no items. */
        public static final String NO_ITEMS = "no-items";

        private Rules() {
        }
    }

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final double WEIGHT_TOLERANCE = 1e-6;
    private static final long MAX_SEED = (1L << 53) - 1;
    private static final int MAX_TEMPLATES = 100;
    private static final List<String> ROOT = List.of("$schema", "name", "description", "model", "templates",
            "combination", "seeds", "params", "format", "gate", "export", "splits", "schedule", "retention", "location",
            "priority", "maxWorkers", "labels");
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final ModelCatalog catalog;
    private final Predicate<String> hasEvaluator;
    private final RequestLimits limits;

    /**
     * @param catalog      the models a spec may name; never null
     * @param hasEvaluator whether a catalog model has an evaluator (a gate needs one); never null
     * @param limits       the request limits the night's request must meet; never null
     */
    public DatasetSpecParser(ModelCatalog catalog, Predicate<String> hasEvaluator, RequestLimits limits) {
        this.catalog = catalog;
        this.hasEvaluator = hasEvaluator;
        this.limits = limits;
    }

    /** Parses a spec file's bytes (YAML 1.2 or JSON, UTF-8). */
    public DatasetSpec parse(byte[] yaml) throws InvalidSpecException {
        Walk w = new Walk(false);
        if (yaml.length > limits.maxPayloadBytes()) {
            w.add("$", Violation.Rules.TOO_LARGE, "the spec is " + yaml.length + " bytes, more than "
                    + limits.maxPayloadBytes());
            throw w.failure();
        }
        JsonNode root;
        try {
            root = YAML.readTree(new String(yaml, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage();
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            w.add("$", msg.startsWith("Duplicate") ? Violation.Rules.DUPLICATE_KEY : Violation.Rules.JSON,
                    "is not a valid YAML document" + where + ": " + msg.lines().findFirst().orElse(""));
            throw w.failure();
        }
        String alias = firstAlias(yaml);
        if (alias != null) {
            w.add("$", Violation.Rules.JSON, "uses a YAML alias (" + alias + "): write the value out instead "
                    + "(aliases are not read as their anchor's value here)");
            throw w.failure();
        }
        return parse(root);
    }

    /** Where the document first uses an alias ({@code *name}), or null when it uses none. */
    private static @Nullable String firstAlias(byte[] yaml) {
        org.snakeyaml.engine.v2.api.LoadSettings settings = org.snakeyaml.engine.v2.api.LoadSettings.builder().build();
        org.snakeyaml.engine.v2.parser.ParserImpl events = new org.snakeyaml.engine.v2.parser.ParserImpl(settings,
                new org.snakeyaml.engine.v2.scanner.StreamReader(settings, new String(yaml, StandardCharsets.UTF_8)));
        while (events.hasNext()) {
            org.snakeyaml.engine.v2.events.Event e = events.next();
            if (e instanceof org.snakeyaml.engine.v2.events.AliasEvent a) {
                return "*" + a.getAlias() + e.getStartMark().map(m -> " at line " + (m.getLine() + 1)).orElse("");
            }
        }
        return null;
    }

    /** Parses a spec's tree (as a night's request embeds it). */
    public DatasetSpec parse(@Nullable JsonNode root) throws InvalidSpecException {
        Walk w = new Walk(false);
        if (root == null || !root.isObject()) {
            w.add("$", Violation.Rules.TYPE, "the spec must be a mapping (YAML) or an object (JSON)");
            throw w.failure();
        }
        DatasetSpec spec = w.spec(root);
        if (spec == null) {
            throw w.failure();
        }
        checkRequest(spec, w);
        if (!w.violations.isEmpty()) {
            throw w.failure();
        }
        return spec;
    }

    /**
     * Reads the spec a night's stored request embeds, which intake checked when it accepted the night: its form
     * only, not against today's catalog and limits (a model since removed, an evaluator since unset, a lower limit
     * must not stop a night already made from being exported).
     */
    public static DatasetSpec parseStored(JsonNode root) throws InvalidSpecException {
        DatasetSpecParser lenient = new DatasetSpecParser(ModelCatalog.of(java.util.List.of()), m -> true,
                RequestLimits.DEFAULTS.withMaxItems(Long.MAX_VALUE));
        Walk w = lenient.new Walk(true);
        DatasetSpec spec = root != null && root.isObject() ? w.spec(root) : null;
        if (spec == null) {
            throw w.failure();
        }
        return spec;
    }

    /**
     * The night's request through the request parser; its violations named by the spec's fields. A spec whose
     * request could not be held in one document is refused from an upper bound of its size, before it is built.
     */
    private void checkRequest(DatasetSpec spec, Walk w) {
        long entries = NightExpansion.entries(spec);
        if (entries > NightExpansion.MAX_PROMPTS) {
            w.add(spec.sample() != null ? "combination.sample" : "templates", Violation.Rules.TOO_MANY_PROMPTS,
                    "a night would hold " + entries + " prompt entries, more than one request holds ("
                            + NightExpansion.MAX_PROMPTS + ")");
            return;
        }
        long bound = NightExpansion.sizeBound(spec);
        if (bound > limits.maxPayloadBytes()) {
            w.add(spec.sample() != null ? "combination.sample" : "templates", Violation.Rules.TOO_LARGE,
                    "a night's request could be up to " + bound + " bytes (" + entries + " prompt entries), more than "
                            + "the limit of " + limits.maxPayloadBytes() + " bytes for one request");
            return;
        }
        byte[] request;
        try {
            request = NightExpansion.requestJson(spec, LocalDate.of(2000, 1, 1)).getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            w.add("templates", Violation.Rules.TOO_MANY_PROMPTS, e.getMessage());
            return;
        }
        try {
            RequestParser.parse(request, limits, catalog);
        } catch (InvalidRequestException e) {
            for (Violation v : e.violations()) {
                String f = v.field();
                String field = f.equals("kind") ? "model" : f.equals("output.format") ? "format"
                        : f.startsWith("output") ? "location" : f.startsWith("prompts") ? "templates"
                        : f.equals("$") && v.rule().equals(Violation.Rules.TOO_LARGE) ? "combination" : f;
                w.add(field, v.rule(), v.message() + (field.equals(f) ? "" : " (in the night's request: " + f + ")"));
            }
        }
    }

    /** One parse's violations and the walk over the tree. */
    private final class Walk {
        private final List<Violation> violations = new ArrayList<>();
        /** A stored night's spec: its form only, the model not looked up. */
        private final boolean stored;

        Walk(boolean stored) {
            this.stored = stored;
        }

        void add(String field, String rule, String message) {
            if (violations.size() < RequestParser.MAX_VIOLATIONS) {
                violations.add(new Violation(field, rule, message));
            }
        }

        InvalidSpecException failure() {
            return new InvalidSpecException(violations);
        }

        @Nullable DatasetSpec spec(JsonNode root) {
            fields(root, "", ROOT);
            String name = required(root, "name", "") ? text(root.get("name"), "name", 63) : null;
            if (name != null && !NAME.matcher(name).matches()) {
                add("name", Violation.Rules.PATTERN, "must match " + NAME.pattern()
                        + " (lowercase letters, digits and '-', starting with a letter or digit), was '" + name + "'");
                name = null;
            }
            String description = root.has("description") ? text(root.get("description"), "description", 2000) : "";
            String model = required(root, "model", "") ? text(root.get("model"), "model", 128) : null;
            CatalogModel catalogModel = model == null ? null : catalog.find(model).orElse(null);
            if (model != null && catalogModel == null && !stored) {
                add("model", Violation.Rules.UNKNOWN_MODEL, "unknown model '" + model + "'; the catalog has: "
                        + String.join(", ", catalog.names()));
            }
            List<DatasetSpec.Template> templates = required(root, "templates", "") ? templates(root.get("templates"))
                    : null;
            DatasetSpec.Sample sample = root.has("combination") ? combination(root.get("combination")) : null;
            DatasetSpec.Seeds seeds = root.has("seeds") ? seeds(root.get("seeds"))
                    : new DatasetSpec.Seeds(DatasetSpec.Seeds.FIXED, 1, 0);
            JsonNode params = root.has("params") ? root.get("params") : YAML.createObjectNode();
            if (!params.isObject()) {
                add("params", Violation.Rules.TYPE, "must be a mapping of the request's params (docs/REQUESTS.md)");
            }
            String defaultFormat = catalogModel != null && catalogModel.isVideo() ? "mp4" : "png";
            String format = root.has("format") ? oneOf(root.get("format"), "format", List.of("png", "mp4"))
                    : defaultFormat;
            if (format != null && catalogModel != null && catalogModel.isVideo() != format.equals("mp4")) {
                add("format", Violation.Rules.FORMAT_KIND, "model '" + model + "' makes " + catalogModel.kind()
                        + "s, which an export holds as " + defaultFormat + ", not " + format);
                format = null;
            }
            DatasetSpec.Gate gate = root.has("gate") ? gate(root.get("gate")) : null;
            if (gate != null && model != null && catalogModel != null && !stored && !hasEvaluator.test(model)) {
                add("gate", Rules.NO_EVALUATOR, "model '" + model + "' has no evaluator, so nothing can judge its "
                        + "items: remove the gate");
            }
            DatasetSpec.Export export = root.has("export") ? export(root.get("export"))
                    : new DatasetSpec.Export(List.of(DatasetSpec.Export.IMAGEFOLDER, DatasetSpec.Export.WEBDATASET), 1000);
            DatasetSpec.Splits splits = root.has("splits") ? splits(root.get("splits"))
                    : new DatasetSpec.Splits(0, 0, DatasetSpec.Splits.BY_PROMPT);
            DatasetSpec.Schedule schedule = root.has("schedule") ? schedule(root.get("schedule")) : null;
            Integer keep = null;
            if (root.has("retention")) {
                JsonNode r = root.get("retention");
                if (object(r, "retention")) {
                    fields(r, "retention", List.of("keep"));
                    keep = required(r, "keep", "retention") ? integer(r.get("keep"), "retention.keep", 1, 100_000)
                            : null;
                }
            }
            String location = root.has("location") ? text(root.get("location"), "location", 900)
                    : name == null ? null : "datasets/" + name;
            Integer priority = root.has("priority") ? integer(root.get("priority"), "priority", -1000, 1000) : Integer.valueOf(0);
            Integer maxWorkers = root.has("maxWorkers") ? integer(root.get("maxWorkers"), "maxWorkers", 1, 1000) : null;
            Map<String, String> labels = root.has("labels") ? labels(root.get("labels")) : Map.of();
            if (templates != null && templates.isEmpty()) {
                templates = null;
            }
            if (!violations.isEmpty() || name == null || model == null || templates == null || seeds == null
                    || format == null || export == null || splits == null || location == null || priority == null
                    || labels == null || (root.has("combination") && sample == null && !"product".equals(
                    root.get("combination").asString(""))) || (root.has("gate") && gate == null)
                    || (root.has("schedule") && schedule == null) || (root.has("retention") && keep == null)
                    || (root.has("maxWorkers") && maxWorkers == null)) {
                if (violations.isEmpty()) {
                    add("$", Violation.Rules.REQUIRED, "the spec is incomplete");
                }
                return null;
            }
            DatasetSpec spec = new DatasetSpec(name, description, model, templates, sample, seeds, params, format,
                    gate, export, splits, schedule, keep, location, priority, maxWorkers, labels);
            if (spec.itemCount() == 0) {
                add(sample != null ? "combination.sample" : "templates", Rules.NO_ITEMS,
                        "the spec makes no items; a night needs at least one");
                return null;
            }
            if (Seeds.FIXED.equals(seeds.policy()) && seeds.base() > MAX_SEED - (NightExpansion.seedSpan(spec) - 1)) {
                add("seeds.base", Violation.Rules.RANGE, "the night's seeds run from base to base + "
                        + (NightExpansion.seedSpan(spec) - 1) + ", past the largest seed 2^53 - 1");
                return null;
            }
            if (spec.itemCount() > limits.maxItems()) {
                add(sample != null ? "combination.sample" : "templates", Violation.Rules.TOO_MANY_ITEMS,
                        "a night would have " + spec.itemCount() + " items (" + spec.promptCount() + " prompts × "
                                + seeds.count() + " seeds), more than the limit of " + limits.maxItems());
                return null;
            }
            return spec;
        }

        private @Nullable List<DatasetSpec.Template> templates(JsonNode node) {
            if (!node.isArray()) {
                add("templates", Violation.Rules.TYPE, "must be a list of templates");
                return null;
            }
            if (node.isEmpty() || node.size() > MAX_TEMPLATES) {
                add("templates", node.isEmpty() ? Violation.Rules.MIN_ITEMS : Violation.Rules.MAX_ITEMS,
                        "must hold 1 … " + MAX_TEMPLATES + " templates, held " + node.size());
                return null;
            }
            List<DatasetSpec.Template> out = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            int weighted = 0;
            for (int i = 0; i < node.size(); i++) {
                String at = "templates[" + i + "]";
                JsonNode t = node.get(i);
                if (t.isString()) { // a template without slots
                    t = YAML.createObjectNode().put("template", t.asString());
                }
                if (!object(t, at)) {
                    continue;
                }
                fields(t, at, List.of("template", "slots", "negative", "weight"));
                String text = required(t, "template", at) ? text(t.get("template"), at + ".template",
                        limits.maxPromptChars()) : null;
                String negative = t.has("negative") ? text(t.get("negative"), at + ".negative",
                        limits.maxPromptChars()) : null;
                Double weight = null;
                if (t.has("weight")) {
                    weight = number(t.get("weight"), at + ".weight");
                    if (weight != null && !(weight > 0)) {
                        add(at + ".weight", Rules.WEIGHTS, "must be more than 0, was " + weight);
                        weight = null;
                    }
                    weighted++;
                }
                weights.add(weight);
                Map<String, List<DatasetSpec.Weighted>> slots = new LinkedHashMap<>();
                List<String> equal = new ArrayList<>();
                JsonNode s = t.has("slots") ? t.get("slots") : YAML.createObjectNode();
                if (object(s, at + ".slots")) {
                    for (Map.Entry<String, JsonNode> e : s.properties()) {
                        List<DatasetSpec.Weighted> values = slot(e.getValue(), at + ".slots." + e.getKey());
                        if (values != null) {
                            slots.put(e.getKey(), values);
                            if (e.getValue().isArray()) {
                                equal.add(e.getKey());
                            }
                        }
                    }
                }
                if (text == null) {
                    continue;
                }
                Set<String> used = new LinkedHashSet<>();
                Matcher m = PLACEHOLDER.matcher(text);
                while (m.find()) {
                    used.add(m.group(1));
                }
                for (String u : used) {
                    if (!s.has(u)) {
                        add(at + ".template", Rules.UNKNOWN_SLOT, "placeholder {" + u + "} names no slot of this "
                                + "template; its slots are: " + (s.isObject() && !s.isEmpty()
                                ? String.join(", ", s.propertyNames()) : "(none)"));
                    }
                }
                if (s.isObject()) {
                    for (String name : s.propertyNames()) {
                        if (!used.contains(name)) {
                            add(at + ".slots." + name, Violation.Rules.UNUSED_SLOT, "is not used by the template "
                                    + "(no {" + name + "} in it)");
                        }
                    }
                }
                // slots in order of first use, as the product iterates them
                Map<String, List<DatasetSpec.Weighted>> ordered = new LinkedHashMap<>();
                used.forEach(u -> {
                    if (slots.containsKey(u)) {
                        ordered.put(u, slots.get(u));
                    }
                });
                out.add(new DatasetSpec.Template(text, ordered, equal, negative, 0, t.has("weight")));
            }
            if (out.size() != node.size()) {
                return out.isEmpty() ? null : List.of();
            }
            if (weighted != 0 && weighted != out.size()) {
                add("templates", Rules.WEIGHTS, "either every template has a weight or none has (equal shares); "
                        + weighted + " of " + out.size() + " have one");
                return List.of();
            }
            double sum = weights.stream().mapToDouble(x -> x == null ? Double.NaN : x).sum();
            if (weighted != 0 && !(Math.abs(sum - 1) <= WEIGHT_TOLERANCE)) {
                add("templates", Rules.WEIGHTS, "the templates' weights must sum to 1, summed to " + sum);
                return List.of();
            }
            List<DatasetSpec.Template> result = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                DatasetSpec.Template t = out.get(i);
                result.add(new DatasetSpec.Template(t.template(), t.slots(), t.equal(), t.negative(),
                        weighted == 0 ? 1.0 / out.size() : weights.get(i), t.weighted()));
            }
            return result;
        }

        private @Nullable List<DatasetSpec.Weighted> slot(JsonNode node, String at) {
            List<DatasetSpec.Weighted> values = new ArrayList<>();
            if (node.isArray()) {
                if (node.isEmpty()) {
                    add(at, Violation.Rules.MIN_ITEMS, "must list at least one value");
                    return null;
                }
                Set<String> seen = new LinkedHashSet<>();
                for (int i = 0; i < node.size(); i++) {
                    String v = text(node.get(i), at + "[" + i + "]", limits.maxPromptChars());
                    if (v != null && !seen.add(v)) {
                        add(at + "[" + i + "]", "duplicate-value", "'" + v + "' is listed twice");
                    }
                }
                if (seen.size() != node.size()) {
                    return null;
                }
                seen.forEach(v -> values.add(new DatasetSpec.Weighted(v, 1.0 / node.size())));
                return values;
            }
            if (!node.isObject() || node.isEmpty()) {
                add(at, Violation.Rules.TYPE, "must be a list of values (equal weights) or a mapping of value to "
                        + "weight (weights summing to 1), with at least one value");
                return null;
            }
            double sum = 0;
            boolean ok = true;
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                Double w = number(e.getValue(), at + "." + e.getKey());
                if (w == null || !(w > 0)) {
                    if (w != null) {
                        add(at + "." + e.getKey(), Rules.WEIGHTS, "a weight must be more than 0, was " + w);
                    }
                    ok = false;
                    continue;
                }
                sum += w;
                values.add(new DatasetSpec.Weighted(e.getKey(), w));
            }
            if (ok && !(Math.abs(sum - 1) <= WEIGHT_TOLERANCE)) {
                add(at, Rules.WEIGHTS, "the weights must sum to 1, summed to " + sum);
                ok = false;
            }
            return ok ? values : null;
        }

        private DatasetSpec.@Nullable Sample combination(JsonNode node) {
            if (node.isString() && node.asString().equals("product")) {
                return null;
            }
            if (!node.isObject()) {
                add("combination", Violation.Rules.TYPE, "must be 'product' or {sample: N, seed: S}");
                return null;
            }
            fields(node, "combination", List.of("sample", "seed"));
            Long n = required(node, "sample", "combination") ? longValue(node.get("sample"), "combination.sample", 0,
                    limits.maxItems()) : null;
            Long seed = required(node, "seed", "combination") ? longValue(node.get("seed"), "combination.seed", 0,
                    MAX_SEED) : null;
            if (n != null && n == 0) {
                add("combination.sample", Rules.NO_ITEMS, "must draw at least 1 prompt, was 0");
                return null;
            }
            return n == null || seed == null ? null : new DatasetSpec.Sample(n, seed);
        }

        private DatasetSpec.@Nullable Seeds seeds(JsonNode node) {
            if (!object(node, "seeds")) {
                return null;
            }
            fields(node, "seeds", List.of("policy", "count", "base"));
            String policy = node.has("policy") ? oneOf(node.get("policy"), "seeds.policy",
                    List.of(DatasetSpec.Seeds.FIXED, DatasetSpec.Seeds.DATE)) : DatasetSpec.Seeds.FIXED;
            Integer count = node.has("count") ? integer(node.get("count"), "seeds.count", 0, 10_000) : Integer.valueOf(1);
            if (count != null && count == 0) {
                add("seeds.count", Rules.NO_ITEMS, "must be at least 1 seed per prompt, was 0");
                return null;
            }
            Long base = node.has("base") ? longValue(node.get("base"), "seeds.base", 0, MAX_SEED) : Long.valueOf(0);
            if (DatasetSpec.Seeds.DATE.equals(policy) && node.has("base")) {
                add("seeds.base", Violation.Rules.UNKNOWN_FIELD, "is for policy fixed only: policy date derives "
                        + "the seeds from the name and the night");
                return null;
            }
            if (policy == null || count == null || base == null) {
                return null;
            }
            return new DatasetSpec.Seeds(policy, count, base);
        }

        private DatasetSpec.@Nullable Gate gate(JsonNode node) {
            if (!object(node, "gate")) {
                return null;
            }
            fields(node, "gate", List.of("verdict", "minScore", "maxRejected"));
            String verdict = node.has("verdict") ? oneOf(node.get("verdict"), "gate.verdict",
                    List.of(DatasetSpec.Gate.ADHERENT, DatasetSpec.Gate.NONE)) : DatasetSpec.Gate.ADHERENT;
            Double min = node.has("minScore") ? fraction(node.get("minScore"), "gate.minScore") : null;
            Double max = node.has("maxRejected") ? fraction(node.get("maxRejected"), "gate.maxRejected") : Double.valueOf(1);
            if (verdict == null || max == null || (node.has("minScore") && min == null)) {
                return null;
            }
            return new DatasetSpec.Gate(verdict, min, max);
        }

        private DatasetSpec.@Nullable Export export(JsonNode node) {
            if (!object(node, "export")) {
                return null;
            }
            fields(node, "export", List.of("formats", "shardSize"));
            List<String> formats = List.of(DatasetSpec.Export.IMAGEFOLDER, DatasetSpec.Export.WEBDATASET);
            if (node.has("formats")) {
                JsonNode f = node.get("formats");
                if (!f.isArray() || f.isEmpty()) {
                    add("export.formats", Violation.Rules.TYPE, "must be a non-empty list of imagefolder, webdataset");
                    return null;
                }
                Set<String> seen = new LinkedHashSet<>();
                for (int i = 0; i < f.size(); i++) {
                    String v = oneOf(f.get(i), "export.formats[" + i + "]", formats);
                    if (v == null) {
                        return null;
                    }
                    seen.add(v);
                }
                formats = formats.stream().filter(seen::contains).toList();
            }
            Integer shard = node.has("shardSize") ? integer(node.get("shardSize"), "export.shardSize", 1, 1_000_000)
                    : Integer.valueOf(1000);
            return shard == null ? null : new DatasetSpec.Export(formats, shard);
        }

        private DatasetSpec.@Nullable Splits splits(JsonNode node) {
            if (!object(node, "splits")) {
                return null;
            }
            fields(node, "splits", List.of("validation", "test", "by"));
            Double v = node.has("validation") ? fraction(node.get("validation"), "splits.validation") : Double.valueOf(0);
            Double t = node.has("test") ? fraction(node.get("test"), "splits.test") : Double.valueOf(0);
            String by = node.has("by") ? oneOf(node.get("by"), "splits.by",
                    List.of(DatasetSpec.Splits.BY_PROMPT, DatasetSpec.Splits.BY_ITEM)) : DatasetSpec.Splits.BY_PROMPT;
            if (v == null || t == null || by == null) {
                return null;
            }
            if (v + t >= 1) {
                add("splits", Violation.Rules.RANGE, "validation + test must leave a share for train (below 1), was "
                        + (v + t));
                return null;
            }
            return new DatasetSpec.Splits(v, t, by);
        }

        private DatasetSpec.@Nullable Schedule schedule(JsonNode node) {
            if (!object(node, "schedule")) {
                return null;
            }
            fields(node, "schedule", List.of("cron", "zone", "missed"));
            String cron = required(node, "cron", "schedule") ? text(node.get("cron"), "schedule.cron", 200) : null;
            if (cron != null) {
                String problem = cronProblem(cron);
                if (problem != null) {
                    add("schedule.cron", Rules.CRON, problem);
                    cron = null;
                }
            }
            String zone = node.has("zone") ? text(node.get("zone"), "schedule.zone", 100) : "UTC";
            if (zone != null) {
                try {
                    ZoneId.of(zone);
                } catch (DateTimeException e) {
                    add("schedule.zone", Rules.ZONE, "'" + zone + "' is not a time zone id (e.g. UTC, Europe/Paris)");
                    zone = null;
                }
            }
            String missed = node.has("missed") ? oneOf(node.get("missed"), "schedule.missed",
                    List.of(DatasetSpec.Schedule.LATEST, DatasetSpec.Schedule.SKIP)) : DatasetSpec.Schedule.LATEST;
            return cron == null || zone == null || missed == null ? null : new DatasetSpec.Schedule(cron, zone, missed);
        }

        private @Nullable Map<String, String> labels(JsonNode node) {
            if (!object(node, "labels")) {
                return null;
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String at = "labels." + e.getKey();
                if (e.getKey().equals("dataset") || e.getKey().startsWith("dataset.")) {
                    add(at, "reserved-label", "labels dataset and dataset.* are the platform's (name, night, spec)");
                    continue;
                }
                String v = text(e.getValue(), at, 256);
                if (v != null) {
                    out.put(e.getKey(), v);
                }
            }
            return out;
        }

        // ---- primitives ----

        private void fields(JsonNode node, String at, List<String> allowed) {
            for (String f : node.propertyNames()) {
                if (!allowed.contains(f)) {
                    String field = at.isEmpty() ? f : at + "." + f;
                    add(field, Violation.Rules.UNKNOWN_FIELD, "is not a field of " + (at.isEmpty() ? "a spec" : at)
                            + "; allowed: " + String.join(", ", allowed.stream().filter(a -> !a.startsWith("$")).toList()));
                }
            }
        }

        private boolean required(JsonNode node, String field, String at) {
            if (node.has(field) && !node.get(field).isNull()) {
                return true;
            }
            add(at.isEmpty() ? field : at + "." + field, Violation.Rules.REQUIRED, "is required");
            return false;
        }

        private boolean object(JsonNode node, String at) {
            if (node.isObject()) {
                return true;
            }
            add(at, Violation.Rules.TYPE, "must be a mapping");
            return false;
        }

        private @Nullable String text(JsonNode node, String at, int max) {
            if (!node.isString()) {
                add(at, Violation.Rules.TYPE, "must be a string (quote it in YAML), was " + kind(node));
                return null;
            }
            String s = node.asString();
            if (s.codePointCount(0, s.length()) > max) {
                add(at, Violation.Rules.TOO_LONG, "must be at most " + max + " characters");
                return null;
            }
            if (s.indexOf('\0') >= 0) {
                add(at, Violation.Rules.NUL, "must not hold NUL");
                return null;
            }
            return s;
        }

        private @Nullable String oneOf(JsonNode node, String at, List<String> allowed) {
            String s = text(node, at, 100);
            if (s != null && !allowed.contains(s)) {
                add(at, Violation.Rules.ENUM, "must be one of " + String.join(", ", allowed) + ", was '" + s + "'");
                return null;
            }
            return s;
        }

        private @Nullable Double number(JsonNode node, String at) {
            if (!node.isNumber()) {
                add(at, Violation.Rules.TYPE, "must be a number, was " + kind(node));
                return null;
            }
            double d = node.asDouble();
            if (!Double.isFinite(d)) {
                add(at, Violation.Rules.RANGE, "must be finite");
                return null;
            }
            return d;
        }

        private @Nullable Double fraction(JsonNode node, String at) {
            Double d = number(node, at);
            if (d != null && (d < 0 || d > 1)) {
                add(at, Violation.Rules.RANGE, "must be 0 … 1, was " + d);
                return null;
            }
            return d;
        }

        private @Nullable Long longValue(JsonNode node, String at, long min, long max) {
            boolean integral = node.isIntegralNumber() || (node.isNumber() && node.asDouble() == Math.rint(node.asDouble())
                    && Math.abs(node.asDouble()) < 9.0e15);
            if (!integral) {
                add(at, Violation.Rules.TYPE, "must be an integer, was " + kind(node));
                return null;
            }
            if (node.isBigInteger() || node.asDouble() > max || node.asDouble() < min) {
                add(at, Violation.Rules.RANGE, "must be " + min + " … " + max + ", was " + node.asString());
                return null;
            }
            long v = node.asLong();
            if (v < min || v > max) {
                add(at, Violation.Rules.RANGE, "must be " + min + " … " + max + ", was " + v);
                return null;
            }
            return v;
        }

        private @Nullable Integer integer(JsonNode node, String at, int min, int max) {
            Long v = longValue(node, at, min, max);
            return v == null ? null : v.intValue();
        }

        private String kind(JsonNode n) {
            return n.isObject() ? "a mapping" : n.isArray() ? "a list" : n.isString() ? "a string"
                    : n.isNumber() ? "a number " + n.asString() : n.isBoolean() ? "a boolean " + n.asString()
                    : n.isNull() ? "null" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Why a cron string is not one a Kubernetes CronJob and this platform both take, or null when it is: five
     * fields (minute hour day-of-month month day-of-week) or a macro ({@code @daily}, ...).
     */
    static @Nullable String cronProblem(String cron) {
        String c = cron.strip();
        if (c.startsWith("@")) {
            return List.of("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly").contains(c)
                    ? null : "'" + cron + "' is not a cron macro (@yearly, @monthly, @weekly, @daily, @hourly)";
        }
        String[] f = c.split("\\s+");
        if (f.length != 5) {
            return "must have five fields (minute hour day-of-month month day-of-week), as a Kubernetes CronJob "
                    + "takes it, had " + f.length + ": '" + cron + "'";
        }
        if (!c.matches("[0-9A-Za-z*/,\\- ]+") || c.matches(".*\\b[0-9]*[LW]\\b.*")) {
            return "'" + cron + "' uses syntax a Kubernetes CronJob does not take (L, W, #, ?): use numbers, names, "
                    + "*, ranges, lists and steps";
        }
        if (!f[2].equals("*") && !f[4].equals("*")) {
            return "'" + cron + "' restricts both day-of-month and day-of-week, which Kubernetes reads as either and "
                    + "Spring as both: restrict one of them";
        }
        try {
            springCron(c);
            return null;
        } catch (IllegalArgumentException e) {
            return "'" + cron + "' is not a valid cron expression: " + e.getMessage();
        }
    }

    /** The five-field (or macro) cron as Spring's six-field expression (seconds 0). */
    public static CronExpression springCron(String cron) {
        String c = cron.strip();
        return CronExpression.parse(c.startsWith("@") ? c.equals("@midnight") ? "@daily" : c : "0 " + c);
    }
}
