package io.diffusionbatch.dataset;

import io.diffusionbatch.engine.json.Json;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A spec and a night → the night's request (docs/DATASETS.md "Expansion"). Deterministic: the same spec and night
 * give the same bytes, on any machine and JVM, because every draw comes from {@link SplitMix64} and every seed
 * from SHA-256; nothing reads the clock, the locale or a hash map's order.
 * <ol>
 *   <li>Prompts. {@code product}: for each template in order, every combination of its slots' values, the slots
 *       nested in order of first use in the template, the last varying fastest. {@code sample N}: N draws from
 *       SplitMix64 seeded with {@code combination.seed}; each draw picks a template by weight, then each of its
 *       slots' values by weight (in order of first use), each pick from one 53-bit uniform
 *       {@code u = (next >>> 11) / 2^53} as the first value whose cumulative weight exceeds u, the last value when
 *       none does (weights may sum to 1 − 10^-6). A template's {@code negative} is kept as written (no placeholders
 *       are filled in it).</li>
 *   <li>Each prompt's labels: its slot values by slot name, and {@code dataset.template}: the template's index.</li>
 *   <li>Seeds. The base is {@code seeds.base} (policy fixed) or, for policy date, the first 8 bytes of
 *       SHA-256("dataset-seeds:NAME:YYYY-MM-DD") as an unsigned number modulo (2^53 − span), span = the seeds the
 *       night needs. {@code product}: every prompt gets seeds base … base+count−1 (the request's {@code seeds}).
 *       {@code sample}: draw d's s-th item gets its own seed base + d·count + s, so a prompt drawn twice never
 *       repeats an image; the request's own {@code seeds} is then {@code {count: 1, base: 0}}, unused.</li>
 *   <li>The request: id {@link DatasetSpec#requestId}, the model's kind (by the format: mp4 → video), the spec's
 *       params, output {@link DatasetSpec#runLocation}, priority, maxWorkers, the spec's labels plus
 *       {@code dataset} (the name), {@code dataset.night} (YYYY-MM-DD), {@code dataset.spec} (the first 12 hex digits
 *       of the spec's sha256), and {@code dataset}: the name, the night, the
 *       spec's sha256 and its canonical JSON (what the export step reads).</li>
 * </ol>
 * Stateless and thread-safe.
 */
public final class NightExpansion {

    /** Most prompt entries one night's request holds (its document must also fit the request size limit). */
    public static final int MAX_PROMPTS = 250_000;
    private static final long MAX_SEED = (1L << 53) - 1;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private NightExpansion() {
    }

    /** Prompt entries of the night's request: its prompts ({@code product}) or its items ({@code sample}). */
    public static long entries(DatasetSpec spec) {
        return spec.sample() == null ? spec.promptCount() : spec.itemCount();
    }

    /**
     * An upper bound of the night's request size in bytes, computed without building it: per entry, the longest
     * prompt a template makes (its text plus its slots' longest values at each use), its negative, its slot labels
     * and the JSON around them, every character counted as 6 bytes (a JSON escape), plus the spec itself twice.
     */
    public static long sizeBound(DatasetSpec spec) {
        long perEntry = 0;
        for (DatasetSpec.Template t : spec.templates()) {
            long text = t.template().length() + (t.negative() == null ? 0 : t.negative().length()) + 64;
            for (java.util.Map.Entry<String, java.util.List<DatasetSpec.Weighted>> slot : t.slots().entrySet()) {
                long longest = slot.getValue().stream().mapToLong(v -> v.value().length()).max().orElse(0);
                int uses = 0;
                for (int i = t.template().indexOf("{" + slot.getKey() + "}"); i >= 0;
                     i = t.template().indexOf("{" + slot.getKey() + "}", i + 1)) {
                    uses++;
                }
                text += longest * (uses + 1) + slot.getKey().length() + 8;
            }
            perEntry = Math.max(perEntry, text);
        }
        long entries = entries(spec);
        long bound = Math.multiplyHigh(entries, perEntry * 6) != 0 ? Long.MAX_VALUE : entries * perEntry * 6;
        return bound > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : bound + 2L * spec.canonicalJson().length() * 6 + 4096;
    }

    /** The night's request document (canonical enough to be sent as is; the server stores its own canonical form). */
    public static String requestJson(DatasetSpec spec, LocalDate night) {
        long entries = entries(spec);
        if (entries > MAX_PROMPTS) {
            throw new IllegalArgumentException("a night makes " + entries + " prompt entries, more than one request "
                    + "holds (" + MAX_PROMPTS + "); use fewer samples, seeds or slot values");
        }
        List<Prompt> prompts = prompts(spec);
        long base = seedBase(spec, night);
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("requestId", spec.requestId(night));
        root.put("kind", "mp4".equals(spec.format()) ? "video" : "image");
        root.put("model", spec.model());
        ArrayNode list = root.putArray("prompts");
        int count = spec.seeds().count();
        for (int d = 0; d < prompts.size(); d++) {
            Prompt p = prompts.get(d);
            for (int s = 0; s < (spec.sample() == null ? 1 : count); s++) {
                ObjectNode e = list.addObject();
                e.put("prompt", p.text());
                if (p.negative() != null) {
                    e.put("negative", p.negative());
                }
                if (spec.sample() != null) {
                    e.put("seed", base + (long) d * count + s);
                }
                ObjectNode labels = e.putObject("labels");
                p.labels().forEach(labels::put);
            }
        }
        ObjectNode seeds = root.putObject("seeds");
        seeds.put("count", spec.sample() == null ? count : 1);
        seeds.put("base", spec.sample() == null ? base : 0);
        root.set("params", spec.params().deepCopy());
        ObjectNode out = root.putObject("output");
        out.put("location", spec.runLocation(night));
        out.put("format", spec.format());
        root.put("priority", spec.priority());
        if (spec.maxWorkers() != null) {
            root.put("maxWorkers", spec.maxWorkers());
        }
        ObjectNode labels = root.putObject("labels");
        Map<String, String> all = new TreeMap<>(spec.labels());
        all.put("dataset", spec.name());
        all.put("dataset.night", night.toString());
        all.put("dataset.spec", spec.sha256().substring(0, 12));
        all.forEach(labels::put);
        ObjectNode ds = root.putObject("dataset");
        ds.put("name", spec.name());
        ds.put("night", night.toString());
        ds.put("specSha256", spec.sha256());
        ds.put("spec", spec.canonicalJson()); // text: the ledger's JSONB would reorder an object's keys
        return Json.MAPPER.writeValueAsString(root);
    }

    /** A prompt of the night: its text, its negative (null: the params'), its labels (sorted). */
    record Prompt(String text, @Nullable String negative, Map<String, String> labels) {
    }

    /** The night's prompts, in item order (before seeds). */
    static List<Prompt> prompts(DatasetSpec spec) {
        List<Prompt> out = new ArrayList<>();
        if (spec.sample() == null) {
            for (int t = 0; t < spec.templates().size(); t++) {
                DatasetSpec.Template template = spec.templates().get(t);
                List<String> slots = new ArrayList<>(template.slots().keySet());
                int[] at = new int[slots.size()];
                while (true) {
                    Map<String, String> values = new TreeMap<>();
                    for (int i = 0; i < slots.size(); i++) {
                        values.put(slots.get(i), template.slots().get(slots.get(i)).get(at[i]).value());
                    }
                    out.add(prompt(template, t, values));
                    int i = slots.size() - 1;
                    while (i >= 0 && ++at[i] == template.slots().get(slots.get(i)).size()) {
                        at[i--] = 0;
                    }
                    if (i < 0) {
                        break;
                    }
                }
            }
            return out;
        }
        SplitMix64 rng = new SplitMix64(spec.sample().seed());
        List<Double> templateWeights = spec.templates().stream().map(DatasetSpec.Template::weight).toList();
        for (long d = 0; d < spec.sample().count(); d++) {
            int t = pick(templateWeights, rng.nextUnit());
            DatasetSpec.Template template = spec.templates().get(t);
            Map<String, String> values = new TreeMap<>();
            template.slots().forEach((slot, options) -> values.put(slot,
                    options.get(pick(options.stream().map(DatasetSpec.Weighted::weight).toList(), rng.nextUnit()))
                            .value()));
            out.add(prompt(template, t, values));
        }
        return out;
    }

    private static Prompt prompt(DatasetSpec.Template template, int index, Map<String, String> values) {
        // one pass, so that a value holding "{other}" stays text
        String text = PLACEHOLDER.matcher(template.template()).replaceAll(
                m -> Matcher.quoteReplacement(values.getOrDefault(m.group(1), m.group())));
        Map<String, String> labels = new TreeMap<>(values);
        labels.put("dataset.template", Integer.toString(index));
        return new Prompt(text, template.negative(), labels);
    }

    /** The first index whose cumulative weight exceeds u (the last when rounding leaves none). */
    static int pick(List<Double> weights, double u) {
        double cumulative = 0;
        for (int i = 0; i < weights.size(); i++) {
            cumulative += weights.get(i);
            if (u < cumulative) {
                return i;
            }
        }
        return weights.size() - 1;
    }

    /** Seeds the night uses from its base: seeds per prompt ({@code product}) or every item ({@code sample}). */
    static long seedSpan(DatasetSpec spec) {
        return spec.sample() == null ? spec.seeds().count() : spec.itemCount();
    }

    /** The night's first seed (step 3). */
    static long seedBase(DatasetSpec spec, LocalDate night) {
        if (DatasetSpec.Seeds.FIXED.equals(spec.seeds().policy())) {
            return spec.seeds().base();
        }
        long first = DatasetSpec.sha256Prefix("dataset-seeds:" + spec.name() + ":" + night);
        return Long.remainderUnsigned(first, MAX_SEED + 1 - seedSpan(spec));
    }

    /**
     * SplitMix64 (Steele, Lea and Flood, 2014): the JDK's SplittableRandom's generator, written out so that the
     * stream is fixed by this code rather than by a JDK version. Not thread-safe.
     */
    static final class SplitMix64 {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        long next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** A uniform double in [0, 1) from the top 53 bits. */
        double nextUnit() {
            return (next() >>> 11) * 0x1.0p-53;
        }
    }
}
