package io.diffusionbatch.dataset;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.media.ItemWriter;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A dataset spec ({@code config/datasets/NAME.yaml}, docs/DATASETS.md), as {@link DatasetSpecParser} read and
 * checked it, with every default resolved. Its {@link #canonicalJson() canonical JSON} is what a night's request
 * embeds and what {@link #sha256()} hashes, so that the same spec gives the same night whatever its YAML layout
 * and comments. Immutable and thread-safe.
 *
 * <p>Keys and their defaults (the YAML's fields, in canonical order):
 * <ul>
 *   <li>{@code name}: required, {@code [a-z0-9][a-z0-9-]{0,62}}</li>
 *   <li>{@code description}: "" </li>
 *   <li>{@code model}: required, a catalog name</li>
 *   <li>{@code templates}: required, 1 … 100 of {@code {template, slots, negative (none), weight (equal)}}</li>
 *   <li>{@code combination}: {@code product}, or {@code {sample: N, seed: S}}</li>
 *   <li>{@code seeds}: {@code {policy: fixed, count: 1, base: 0}}; policy {@code date} derives the base from the
 *       name and the night</li>
 *   <li>{@code params}: the request's {@code params}, verbatim ({} = the model's defaults)</li>
 *   <li>{@code format}: png (image models), mp4 (video models)</li>
 *   <li>{@code gate}: none; else {@code {verdict: adherent|none, minScore: none, maxRejected: 1}}</li>
 *   <li>{@code export}: {@code {formats: [imagefolder, webdataset], shardSize: 1000}}</li>
 *   <li>{@code splits}: {@code {validation: 0, test: 0, by: prompt}}</li>
 *   <li>{@code schedule}: none; else {@code {cron, zone: UTC, missed: latest}}</li>
 *   <li>{@code retention}: none (keep every night); else {@code {keep: K}}</li>
 *   <li>{@code location}: {@code datasets/NAME}, a folder under the output root</li>
 *   <li>{@code priority}: 0; {@code maxWorkers}: none; {@code labels}: {}</li>
 * </ul>
 *
 * @param name        the dataset's name; never null
 * @param description free text; never null
 * @param model       a catalog model name; never null
 * @param templates   the prompt templates, in order; never null, not empty
 * @param sample      null: every combination of every template ({@code product}); else draw this many prompts
 * @param seeds       how each prompt's seeds are chosen; never null
 * @param params      the request's {@code params} object; never null
 * @param format      png, mp4 (the items' media); never null
 * @param gate        the quality gate; null = none
 * @param export      what the export writes; never null
 * @param splits      how items are split; never null
 * @param schedule    when the night runs by itself; null = only when asked
 * @param keepNights  retention: nights whose export is kept; null = all
 * @param location    the folder under the output root for this dataset's runs and exports; never null
 * @param priority    the request's priority
 * @param maxWorkers  the request's {@code maxWorkers}; null = no cap
 * @param labels      the request's labels (sorted); never null
 */
public record DatasetSpec(String name, String description, String model, List<Template> templates,
                          @Nullable Sample sample, Seeds seeds, JsonNode params, String format, @Nullable Gate gate,
                          Export export, Splits splits, @Nullable Schedule schedule, @Nullable Integer keepNights,
                          String location, int priority, @Nullable Integer maxWorkers, Map<String, String> labels) {

    public DatasetSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(model, "model");
        templates = List.copyOf(templates);
        Objects.requireNonNull(seeds, "seeds");
        params = params.deepCopy();
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(export, "export");
        Objects.requireNonNull(splits, "splits");
        Objects.requireNonNull(location, "location");
        labels = Map.copyOf(labels);
    }

    /**
     * One template. A slot's values keep their order (the product's order); each has a weight (sampling only), the
     * weights of a slot summing to 1.
     *
     * @param template  text with {@code {slot}} placeholders
     * @param slots     slot → values in order, each with its weight; every placeholder has a slot and vice versa
     * @param equal     slot names whose weights were not written (equal weights; written back as a list)
     * @param negative  its negative prompt; null = the spec's params' (if any)
     * @param weight    its share of sampled prompts (the templates' weights sum to 1)
     * @param weighted  whether the weight was written (else equal shares)
     */
    public record Template(String template, Map<String, List<Weighted>> slots, List<String> equal,
                           @Nullable String negative, double weight, boolean weighted) {
        public Template {
            slots = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(slots));
            equal = List.copyOf(equal);
        }
    }

    /** A slot value and its weight. */
    public record Weighted(String value, double weight) {
    }

    /** {@code combination: {sample: count, seed: seed}}: count prompts drawn by weight with this stream seed. */
    public record Sample(long count, long seed) {
    }

    /**
     * @param policy {@link #FIXED} (base … base+count−1 every night) or {@link #DATE}
     * @param count  seeds per prompt, 1 … 10,000
     * @param base   the first seed ({@link #FIXED} only; 0 for {@link #DATE})
     */
    public record Seeds(String policy, int count, long base) {
        public static final String FIXED = "fixed";
        public static final String DATE = "date";
    }

    /**
     * @param verdict     {@code adherent}: items the evaluator reads as not what their prompt asks are rejected;
     *                    {@code none}: the verdict alone rejects nothing
     * @param minScore    items whose score (the share of prompted attributes read as prompted) is below are
     *                    rejected; null = no minimum
     * @param maxRejected the night fails when more than this share of its items is rejected (0 … 1)
     */
    public record Gate(String verdict, @Nullable Double minScore, double maxRejected) {
        public static final String ADHERENT = "adherent";
        public static final String NONE = "none";
    }

    /** @param formats {@code imagefolder} and/or {@code webdataset}, in that order; @param shardSize samples per tar */
    public record Export(List<String> formats, int shardSize) {
        public static final String IMAGEFOLDER = "imagefolder";
        public static final String WEBDATASET = "webdataset";

        public Export {
            formats = List.copyOf(formats);
        }
    }

    /**
     * @param validation share of prompts (or items) in {@code validation}, 0 … 1
     * @param test       share in {@code test}; validation + test below 1
     * @param by         {@code prompt} (a prompt's items share one split, whatever the night) or {@code item}
     */
    public record Splits(double validation, double test, String by) {
        public static final String BY_PROMPT = "prompt";
        public static final String BY_ITEM = "item";

        /**
         * The item's split: u = the first 8 bytes of SHA-256("split:" + prompt) (by prompt) or
         * SHA-256("split:" + prompt + NUL + seed) (by item), its top 53 bits / 2^53; validation when
         * u &lt; validation, test when u &lt; validation + test, else train. A prompt therefore lands in the same
         * split every night and in every dataset split by prompt, so no prompt leaks from train into validation.
         */
        public String assign(String prompt, long seed) {
            String key = BY_ITEM.equals(by) ? "split:" + prompt + '\0' + seed : "split:" + prompt;
            double u = (sha256Prefix(key) >>> 11) * 0x1.0p-53;
            return u < validation ? "validation" : u < validation + test ? "test" : "train";
        }
    }

    /**
     * @param cron   five fields (minute hour day-of-month month day-of-week), as Kubernetes CronJobs take them
     * @param zone   an IANA zone id; the night is the date of the firing time in this zone
     * @param missed {@code latest} (on start, a night whose time passed while nothing ran is run once, the
     *               latest only) or {@code skip}
     */
    public record Schedule(String cron, String zone, String missed) {
        public static final String LATEST = "latest";
        public static final String SKIP = "skip";
    }

    /** Prompts the spec makes each night (before seeds). Saturates at Long.MAX_VALUE. */
    public long promptCount() {
        if (sample != null) {
            return sample.count();
        }
        long total = 0;
        for (Template t : templates) {
            long n = 1;
            for (List<Weighted> values : t.slots().values()) {
                n = Math.multiplyHigh(n, values.size()) != 0 ? Long.MAX_VALUE : n * values.size();
            }
            total = total + n < total ? Long.MAX_VALUE : total + n;
        }
        return total;
    }

    /** Items each night: prompts × seeds per prompt. Saturates at Long.MAX_VALUE. */
    public long itemCount() {
        long p = promptCount();
        return Math.multiplyHigh(p, seeds.count()) != 0 ? Long.MAX_VALUE : p * seeds.count();
    }

    /** The canonical JSON: fixed key order, defaults written out, weights written as they were. */
    public String canonicalJson() {
        return Json.MAPPER.writeValueAsString(toNode());
    }

    /** sha256 of {@link #canonicalJson()} (UTF-8), lowercase hex. */
    public String sha256() {
        return ItemWriter.sha256(canonicalJson().getBytes(StandardCharsets.UTF_8));
    }

    /** The night's request id: {@code dataset:NAME:YYYY-MM-DD:HASH12} (spec, content hash, night). */
    public String requestId(LocalDate night) {
        return "dataset:" + name + ":" + night + ":" + sha256().substring(0, 12);
    }

    /** The night's export folder under the output root: {@code LOCATION/YYYY-MM-DD-HASH8}. */
    public String exportLocation(LocalDate night) {
        return location + "/" + night + "-" + sha256().substring(0, 8);
    }

    /** The night's run outputs under the output root: {@code LOCATION/runs/YYYY-MM-DD-HASH8}. */
    public String runLocation(LocalDate night) {
        return location + "/runs/" + night + "-" + sha256().substring(0, 8);
    }

    ObjectNode toNode() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("name", name);
        root.put("description", description);
        root.put("model", model);
        ArrayNode ts = root.putArray("templates");
        for (Template t : templates) {
            ObjectNode o = ts.addObject();
            o.put("template", t.template());
            ObjectNode slots = o.putObject("slots");
            t.slots().forEach((slot, values) -> {
                if (t.equal().contains(slot)) {
                    ArrayNode a = slots.putArray(slot);
                    values.forEach(v -> a.add(v.value()));
                } else {
                    ObjectNode w = slots.putObject(slot);
                    values.forEach(v -> w.put(v.value(), v.weight()));
                }
            });
            if (t.negative() != null) {
                o.put("negative", t.negative());
            }
            if (t.weighted()) {
                o.put("weight", t.weight());
            }
        }
        if (sample == null) {
            root.put("combination", "product");
        } else {
            ObjectNode c = root.putObject("combination");
            c.put("sample", sample.count());
            c.put("seed", sample.seed());
        }
        ObjectNode s = root.putObject("seeds");
        s.put("policy", seeds.policy());
        s.put("count", seeds.count());
        if (Seeds.FIXED.equals(seeds.policy())) {
            s.put("base", seeds.base());
        }
        root.set("params", sorted(params)); // key order of params is not content
        root.put("format", format);
        if (gate != null) {
            ObjectNode g = root.putObject("gate");
            g.put("verdict", gate.verdict());
            if (gate.minScore() != null) {
                g.put("minScore", gate.minScore());
            }
            g.put("maxRejected", gate.maxRejected());
        }
        ObjectNode e = root.putObject("export");
        ArrayNode f = e.putArray("formats");
        export.formats().forEach(f::add);
        e.put("shardSize", export.shardSize());
        ObjectNode sp = root.putObject("splits");
        sp.put("validation", splits.validation());
        sp.put("test", splits.test());
        sp.put("by", splits.by());
        if (schedule != null) {
            ObjectNode c = root.putObject("schedule");
            c.put("cron", schedule.cron());
            c.put("zone", schedule.zone());
            c.put("missed", schedule.missed());
        }
        if (keepNights != null) {
            root.putObject("retention").put("keep", keepNights);
        }
        root.put("location", location);
        root.put("priority", priority);
        if (maxWorkers != null) {
            root.put("maxWorkers", maxWorkers);
        }
        ObjectNode l = root.putObject("labels");
        new java.util.TreeMap<>(labels).forEach(l::put);
        return root;
    }

    /** The request's params, a copy (the spec is immutable). */
    @Override
    public JsonNode params() {
        return params.deepCopy();
    }

    private static JsonNode sorted(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            new java.util.TreeSet<>(n.propertyNames()).forEach(k -> o.set(k, sorted(n.get(k))));
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = Json.MAPPER.createArrayNode();
            n.forEach(x -> a.add(sorted(x)));
            return a;
        }
        return n.deepCopy();
    }

    /** The first 8 bytes of SHA-256(text, UTF-8), big-endian, as a (possibly negative) long: 64 uniform bits. */
    static long sha256Prefix(String text) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(ItemWriter.sha256(text.getBytes(StandardCharsets.UTF_8)), 0, 16))
                .getLong();
    }
}
