package io.diffusionbatch.media;

import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.ItemCounters;
import io.diffusionbatch.engine.ModelCost;
import io.diffusionbatch.engine.ModelIdentity;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The provenance documents of a generated item.
 *
 * <p>{@link #reproducible} holds what determines the pixels — model hash, every setting, seed,
 * noise generator, engine version — plus the cost that follows from them (NFE, parameters, FLOPs).
 * It goes into the image itself, so an image's bytes are a function of (model, settings, seed)
 * alone. {@link #full} adds what varies from run to run (stage times, batch size, device, threads)
 * and goes into the sidecar JSON. Stateless and thread-safe.
 */
public final class Provenance {

    /** Names the noise generator so a reader knows how the seed was turned into noise. */
    public static final String NOISE = "splitmix64-boxmuller-v1 (io.diffusionbatch.engine.noise.SeedNoise)";

    private static final JsonMapper JSON = Json.MAPPER;

    private static final Map<String, String> A1111_NAMES = Map.of(
            "ddpm", "DDPM", "ddim", "DDIM", "euler", "Euler", "euler-a", "Euler a",
            "dpmpp-2m", "DPM++ 2M", "dpmpp-2m-karras", "DPM++ 2M Karras", "lcm", "LCM");

    private Provenance() {
    }

    /** The deterministic document embedded in the output file. */
    public static ObjectNode reproducible(GeneratedItem item, ModelIdentity model, int fps) {
        SamplingParams p = item.spec().params();
        ObjectNode root = JSON.createObjectNode();
        root.put("generator", "diffusion-batch " + model.engineVersion());
        ObjectNode m = root.putObject("model");
        m.put("name", model.name());
        m.put("sha256", model.sha256());
        m.put("latent", model.latent());
        root.put("prompt", item.spec().prompt());
        root.put("negative_prompt", item.spec().negativePrompt());
        root.put("seed", item.spec().seed());
        root.put("noise", NOISE);
        ObjectNode s = root.putObject("params");
        s.put("sampler", p.sampler());
        s.put("steps", p.steps());
        s.put("guidance", p.guidance());
        s.put("guidance_rescale", p.guidanceRescale());
        s.put("eta", p.eta());
        s.put("width", p.width());
        s.put("height", p.height());
        s.put("frames", p.frames());
        if (p.frames() > 0) {
            s.put("fps", fps);
        }
        s.put("timestep_spacing", p.timestepSpacing());
        s.put("prediction_type", p.predictionType());
        root.put("prompt_tokens", item.promptTokens());
        root.put("prompt_truncated", item.promptTruncated());
        ModelCost c = item.counters().cost();
        ObjectNode cost = root.putObject("cost");
        cost.put("nfe", item.counters().nfe());
        cost.put("text_encoder_params", c.textEncoderParams());
        cost.put("unet_params", c.unetParams());
        cost.put("vae_decoder_params", c.vaeDecoderParams());
        cost.put("unet_flops_per_eval", c.unetFlops());
        cost.put("text_encoder_flops", c.textEncoderFlops());
        cost.put("vae_decoder_flops", c.vaeDecoderFlops());
        cost.put("flops_per_sample", c.flopsPerSample());
        cost.put("flops_unresolved_nodes", c.unresolvedNodes());
        return root;
    }

    /** The reproducible document plus this run's measurements, for the sidecar JSON. */
    public static ObjectNode full(GeneratedItem item, ModelIdentity model, int fps) {
        ObjectNode root = reproducible(item, model, fps);
        ItemCounters k = item.counters();
        ObjectNode run = root.putObject("run");
        run.put("batch_size", k.batchSize());
        run.put("device", k.device());
        run.put("execution_provider", k.executionProvider());
        run.put("threads", k.threads());
        ObjectNode t = run.putObject("seconds");
        t.put("tokenize", k.tokenizeSeconds());
        t.put("text_encode", k.textEncodeSeconds());
        t.put("denoise", k.denoiseSeconds());
        t.put("decode", k.decodeSeconds());
        t.put("encode_write", k.writeSeconds());
        t.put("total", k.totalSeconds());
        return root;
    }

    /** The A1111 web UI's {@code parameters} text for the item. */
    public static A1111Parameters a1111(GeneratedItem item, ModelIdentity model) {
        SamplingParams p = item.spec().params();
        Map<String, String> extra = new LinkedHashMap<>();
        if (p.guidanceRescale() > 0) {
            extra.put("Guidance rescale", Double.toString(p.guidanceRescale()));
        }
        if ("ddim".equals(p.sampler()) && p.eta() > 0) {
            extra.put("Eta", Double.toString(p.eta()));
        }
        extra.put("Version", "diffusion-batch " + model.engineVersion());
        return new A1111Parameters(item.spec().prompt(), item.spec().negativePrompt(), p.steps(),
                A1111_NAMES.getOrDefault(p.sampler(), p.sampler()), p.guidance(), item.spec().seed(), p.width(),
                p.height(), model.shortHash(), model.name(), extra);
    }
}
