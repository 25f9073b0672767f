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
 * and goes into the sidecar JSON. {@link #a1111} is the web UI's {@code parameters} text. Stateless and
 * thread-safe.
 *
 * <p><b>Samplers in the A1111 text.</b> Written as the AUTOMATIC1111 web UI 1.9 and later writes and reads them
 * (checked against its {@code modules/sd_samplers_kdiffusion.py}, {@code sd_samplers_timesteps.py},
 * {@code sd_samplers_lcm.py}, {@code sd_schedulers.py}, {@code sd_samplers.get_sampler_and_scheduler} and
 * {@code processing.create_infotext}): the sampler by its web UI name, and the σ schedule as a separate
 * {@code Schedule type}, never folded into the name ({@code DPM++ 2M Karras} is the pre-1.9 form). See
 * {@link #a1111Sampler(String)}:
 * <table>
 *   <caption>engine sampler → web UI fields</caption>
 *   <tr><th>engine</th><th>Sampler</th><th>Schedule type</th><th>further</th></tr>
 *   <tr><td>ddim</td><td>DDIM</td><td>—</td><td>{@code Eta DDIM: η} when η &gt; 0</td></tr>
 *   <tr><td>euler</td><td>Euler</td><td>Uniform</td><td></td></tr>
 *   <tr><td>euler-a</td><td>Euler a</td><td>Uniform</td><td></td></tr>
 *   <tr><td>dpmpp-2m</td><td>DPM++ 2M</td><td>Uniform</td><td></td></tr>
 *   <tr><td>dpmpp-2m-karras</td><td>DPM++ 2M</td><td>Karras</td><td></td></tr>
 *   <tr><td>lcm</td><td>LCM</td><td>—</td><td></td></tr>
 *   <tr><td>ddpm</td><td>(none)</td><td>—</td><td>{@code diffusion-batch sampler: ddpm}</td></tr>
 * </table>
 * <ul>
 *   <li><b>Schedule type.</b> The web UI resolves a missing or {@code Automatic} schedule type to the sampler's
 *       default, which for DPM++ 2M is Karras; so plain dpmpp-2m must say {@code Uniform} (the web UI's evenly
 *       spaced timesteps, {@code model_wrap.get_sigmas(n)}). euler and euler-a say {@code Uniform} too, which
 *       for them is what {@code Automatic} means, so every σ-space sampler names its schedule. DDIM and LCM have
 *       no schedule choice there and get none. The web UI names the schedule family, not the exact timesteps:
 *       which ones the engine used (the model's timestep spacing and steps offset) is in the JSON provenance.</li>
 *   <li><b>DDPM</b> (diffusers' ancestral DDPMScheduler) has no counterpart in the web UI: a name it does not
 *       know makes its reader fall back silently to its first sampler (DPM++ 2M). So no {@code Sampler} is
 *       written, which does not claim a sampler that was not used (the reader's fallback is the same), and the
 *       true one goes in our own field {@value #OWN_SAMPLER_KEY}.</li>
 *   <li><b>Eta.</b> DDIM's η is the web UI's {@code Eta DDIM} (option {@code eta_ddim}, written when not 0.0);
 *       its {@code Eta} is the ancestral/SDE samplers' η (written when not 1.0). The engine's euler-a is η = 1
 *       and the other samplers ignore η, so only DDIM writes one.</li>
 * </ul>
 * {@link #engineSampler(A1111Parameters)} reads the engine's sampler back from such a text.
 */
public final class Provenance {

    /** Names the noise generator so a reader knows how the seed was turned into noise. */
    public static final String NOISE = "splitmix64-boxmuller-v1 (io.diffusionbatch.engine.noise.SeedNoise)";

    private static final JsonMapper JSON = Json.MAPPER;

    /** Our own A1111 field for a sampler the web UI does not have (see the class comment). */
    public static final String OWN_SAMPLER_KEY = "diffusion-batch sampler";

    /**
     * How the web UI names an engine sampler.
     *
     * @param sampler      its {@code Sampler} value, or null when the web UI has no such sampler
     * @param scheduleType its {@code Schedule type} value, or null when none is written
     */
    public record A1111Sampler(String sampler, String scheduleType) {
    }

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

    /** The A1111 web UI's {@code parameters} text for the item (samplers: see the class comment). */
    public static A1111Parameters a1111(GeneratedItem item, ModelIdentity model) {
        SamplingParams p = item.spec().params();
        A1111Sampler names = a1111Sampler(p.sampler());
        Map<String, String> extra = new LinkedHashMap<>();
        if (names.scheduleType() != null) {
            extra.put(A1111Parameters.SCHEDULE_TYPE, names.scheduleType());
        }
        if (names.sampler() == null) {
            extra.put(OWN_SAMPLER_KEY, p.sampler());
        }
        if (p.guidanceRescale() > 0) {
            extra.put("Guidance rescale", A1111Parameters.pythonFloat(p.guidanceRescale()));
        }
        if ("ddim".equals(p.sampler()) && p.eta() > 0) {
            extra.put("Eta DDIM", A1111Parameters.pythonFloat(p.eta()));
        }
        extra.put("Version", "diffusion-batch " + model.engineVersion());
        return new A1111Parameters(item.spec().prompt(), item.spec().negativePrompt(), p.steps(),
                names.sampler(), p.guidance(), item.spec().seed(), p.width(), p.height(), model.shortHash(),
                model.name(), extra);
    }

    /**
     * The web UI's names for an engine sampler (the table in the class comment).
     *
     * @param engineSampler one of {@link io.diffusionbatch.engine.sampler.Samplers#names()}
     * @throws IllegalArgumentException for another name
     */
    public static A1111Sampler a1111Sampler(String engineSampler) {
        return switch (engineSampler) {
            case "ddpm" -> new A1111Sampler(null, null);
            case "ddim" -> new A1111Sampler("DDIM", null);
            case "euler" -> new A1111Sampler("Euler", "Uniform");
            case "euler-a" -> new A1111Sampler("Euler a", "Uniform");
            case "dpmpp-2m" -> new A1111Sampler("DPM++ 2M", "Uniform");
            case "dpmpp-2m-karras" -> new A1111Sampler("DPM++ 2M", "Karras");
            case "lcm" -> new A1111Sampler("LCM", null);
            default -> throw new IllegalArgumentException("sampler: no A1111 mapping for '" + engineSampler + "'");
        };
    }

    /**
     * The engine sampler an A1111 text names: {@value #OWN_SAMPLER_KEY} when present, else its {@code Sampler}
     * and {@code Schedule type} read as the web UI 1.9+ reads them ({@code get_sampler_and_scheduler}): a
     * schedule named at the end of the sampler name ({@code "DPM++ 2M Karras"}, the pre-1.9 form) counts as the
     * schedule type, and a missing or {@code Automatic} one is the sampler's default (Karras for DPM++ 2M,
     * Uniform for Euler and Euler a).
     *
     * @return the engine's sampler name, or null when the text names a sampler/schedule the engine does not have
     */
    public static String engineSampler(A1111Parameters parameters) {
        String own = parameters.extra().get(OWN_SAMPLER_KEY);
        if (own != null) {
            return own;
        }
        String name = parameters.sampler();
        if (name == null) {
            return null;
        }
        String schedule = parameters.extra().getOrDefault(A1111Parameters.SCHEDULE_TYPE, "Automatic");
        for (String[] s : new String[][] {{"Karras", "karras"}, {"Uniform", "uniform"}}) {
            for (String suffix : s) {
                if (name.endsWith(" " + suffix)) {
                    name = name.substring(0, name.length() - suffix.length() - 1);
                    schedule = s[0];
                }
            }
        }
        if (schedule.equals("uniform")) {
            schedule = "Uniform";
        } else if (schedule.equals("karras")) {
            schedule = "Karras";
        }
        return switch (name) {
            case "DDIM" -> "ddim";
            case "LCM" -> "lcm";
            case "Euler" -> schedule.equals("Automatic") || schedule.equals("Uniform") ? "euler" : null;
            case "Euler a" -> schedule.equals("Automatic") || schedule.equals("Uniform") ? "euler-a" : null;
            case "DPM++ 2M" -> switch (schedule) {
                case "Uniform" -> "dpmpp-2m";
                case "Automatic", "Karras" -> "dpmpp-2m-karras";
                default -> null;
            };
            default -> null;
        };
    }
}
