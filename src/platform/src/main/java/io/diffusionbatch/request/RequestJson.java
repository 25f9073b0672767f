package io.diffusionbatch.request;

import io.diffusionbatch.engine.json.Json;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/** The canonical JSON writer of {@link GenerationRequest} and the strict mapper the parser reads with. */
final class RequestJson {

    /** Rejects duplicate keys and trailing tokens; thread-safe. */
    static final JsonMapper MAPPER = Json.MAPPER;

    private RequestJson() {
    }

    static String write(GenerationRequest r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("requestId", r.requestId());
        root.put("kind", r.kind());
        root.put("model", r.model());
        root.set("prompts", prompts(r.prompts()));
        root.set("seeds", seedsNode(r.seeds()));
        root.set("params", params(r.params()));
        ObjectNode out = root.putObject("output");
        out.put("location", r.output().location());
        out.put("format", r.output().format().extension());
        root.put("priority", r.priority());
        root.set("labels", labels(r.labels()));
        if (r.maxWorkers() != null) {
            root.put("maxWorkers", r.maxWorkers());
        }
        if (r.dataset() != null) {
            ObjectNode ds = root.putObject("dataset");
            ds.put("name", r.dataset().name());
            ds.put("night", r.dataset().night().toString());
            ds.put("specSha256", r.dataset().specSha256());
            ds.put("spec", r.dataset().specJson());
        }
        return MAPPER.writeValueAsString(root);
    }

    private static tools.jackson.databind.JsonNode prompts(PromptSource source) {
        if (source instanceof PromptSource.Inline inline) {
            ArrayNode a = MAPPER.createArrayNode();
            for (PromptEntry e : inline.entries()) {
                if (e.isPlain()) {
                    a.add(e.prompt());
                } else {
                    a.add(entry(e));
                }
            }
            return a;
        }
        if (source instanceof PromptSource.Jsonl jsonl) {
            StringBuilder text = new StringBuilder();
            for (PromptEntry e : jsonl.entries()) {
                text.append(MAPPER.writeValueAsString(entry(e))).append('\n');
            }
            ObjectNode o = MAPPER.createObjectNode();
            o.put("jsonl", text.toString());
            return o;
        }
        PromptSource.Template t = (PromptSource.Template) source;
        ObjectNode o = MAPPER.createObjectNode();
        o.put("template", t.template());
        ObjectNode slots = o.putObject("slots");
        for (Map.Entry<String, List<String>> s : t.slots().entrySet()) {
            ArrayNode values = slots.putArray(s.getKey());
            s.getValue().forEach(values::add);
        }
        if (t.negative() != null) {
            o.put("negative", t.negative());
        }
        return o;
    }

    static ObjectNode entry(PromptEntry e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("prompt", e.prompt());
        if (e.negative() != null) {
            o.put("negative", e.negative());
        }
        if (e.seed() != null) {
            o.put("seed", e.seed().longValue());
        }
        if (!e.labels().isEmpty()) {
            o.set("labels", labels(e.labels()));
        }
        return o;
    }

    private static tools.jackson.databind.JsonNode seedsNode(SeedSpec seeds) {
        if (seeds instanceof SeedSpec.SeedList list) {
            ArrayNode a = MAPPER.createArrayNode();
            list.seeds().forEach(a::add);
            return a;
        }
        SeedSpec.SeedRange range = (SeedSpec.SeedRange) seeds;
        ObjectNode o = MAPPER.createObjectNode();
        o.put("count", range.count());
        o.put("base", range.base());
        return o;
    }

    private static ObjectNode params(RequestParams p) {
        ObjectNode o = MAPPER.createObjectNode();
        if (p.sampler() != null) {
            o.put("sampler", p.sampler());
        }
        if (p.steps() != null) {
            o.put("steps", p.steps().intValue());
        }
        if (p.guidance() != null) {
            o.put("guidance", p.guidance().doubleValue());
        }
        if (p.guidanceRescale() != null) {
            o.put("guidanceRescale", p.guidanceRescale().doubleValue());
        }
        if (p.eta() != null) {
            o.put("eta", p.eta().doubleValue());
        }
        if (p.width() != null) {
            o.put("width", p.width().intValue());
        }
        if (p.height() != null) {
            o.put("height", p.height().intValue());
        }
        if (p.frames() != null) {
            o.put("frames", p.frames().intValue());
        }
        if (p.fps() != null) {
            o.put("fps", p.fps().intValue());
        }
        if (p.negativePrompt() != null) {
            o.put("negativePrompt", p.negativePrompt());
        }
        if (p.timestepSpacing() != null) {
            o.put("timestepSpacing", p.timestepSpacing());
        }
        if (p.predictionType() != null) {
            o.put("predictionType", p.predictionType());
        }
        return o;
    }

    private static ObjectNode labels(Map<String, String> labels) {
        ObjectNode o = MAPPER.createObjectNode();
        labels.forEach(o::put);
        return o;
    }
}
