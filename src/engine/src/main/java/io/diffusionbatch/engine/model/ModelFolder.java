package io.diffusionbatch.engine.model;

import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * A model folder in the ONNX export layout of Stable Diffusion:
 * <pre>
 *   model_index.json
 *   scheduler/scheduler_config.json
 *   tokenizer/                 (with a text encoder)
 *   text_encoder/model.onnx    optional: absent = unconditional model
 *   tokenizer_2/               (with a second text encoder)
 *   text_encoder_2/model.onnx  optional: SDXL's second encoder (CLIPTextModelWithProjection)
 *   unet/model.onnx            required
 *   vae_decoder/model.onnx     optional: absent = pixel-space model
 * </pre>
 * Immutable and thread-safe; {@link #sha256()} reads every file once and caches nothing.
 *
 * @param root              the folder
 * @param name              its file name, used as the model's display name
 * @param schedulerConfig   scheduler/scheduler_config.json
 * @param tokenizer         tokenizer folder, or null for unconditional models
 * @param textEncoder       text_encoder/model.onnx, or null
 * @param tokenizer2        tokenizer_2 folder, or null when there is no second text encoder
 * @param textEncoder2      text_encoder_2/model.onnx (Stable Diffusion XL's), or null
 * @param unet              unet/model.onnx
 * @param vaeDecoder        vae_decoder/model.onnx, or null
 * @param vaeScalingFactor  latents are divided by this before decoding (vae_decoder/config.json
 *                          {@code scaling_factor}; 0.18215, Stable Diffusion's, when not given)
 */
public record ModelFolder(Path root, String name, Path schedulerConfig, Path tokenizer, Path textEncoder,
                          Path tokenizer2, Path textEncoder2, Path unet, Path vaeDecoder, double vaeScalingFactor) {

    /** Stable Diffusion 1.x/2.x's latent scaling factor, used when the VAE's config does not give one. */
    public static final double DEFAULT_VAE_SCALING_FACTOR = 0.18215;

    /**
     * Opens and checks a model folder.
     *
     * @throws EngineException naming the missing or malformed file
     */
    public static ModelFolder open(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new EngineException("model: folder " + dir + " does not exist");
        }
        require(root, "model_index.json");
        Path scheduler = require(root, "scheduler/scheduler_config.json");
        Path unet = require(root, "unet/model.onnx");
        Path textEncoder = optional(root, "text_encoder/model.onnx");
        Path tokenizer = null;
        if (textEncoder != null) {
            tokenizer = root.resolve("tokenizer");
            if (!Files.isDirectory(tokenizer)) {
                throw new EngineException("model: " + root + " has text_encoder/model.onnx but no tokenizer/ folder");
            }
        }
        Path textEncoder2 = optional(root, "text_encoder_2/model.onnx");
        Path tokenizer2 = null;
        if (textEncoder2 != null) {
            if (textEncoder == null) {
                throw new EngineException("model: " + root + " has text_encoder_2/model.onnx but no text_encoder/model.onnx");
            }
            tokenizer2 = root.resolve("tokenizer_2");
            if (!Files.isDirectory(tokenizer2)) {
                throw new EngineException("model: " + root + " has text_encoder_2/model.onnx but no tokenizer_2/ folder");
            }
        }
        Path vae = optional(root, "vae_decoder/model.onnx");
        double scaling = vae == null ? 1.0 : readScalingFactor(root.resolve("vae_decoder/config.json"));
        if (vae != null) {
            refuseLatentStatistics(root.resolve("vae_decoder/config.json"));
        }
        Path fileName = root.getFileName();
        return new ModelFolder(root, fileName == null ? root.toString() : fileName.toString(), scheduler, tokenizer,
                textEncoder, tokenizer2, textEncoder2, unet, vae, scaling);
    }

    public boolean isLatent() {
        return vaeDecoder != null;
    }

    public boolean isConditional() {
        return textEncoder != null;
    }

    /**
     * Whether this is a Stable Diffusion XL folder: two text encoders, the UNet conditioned on both
     * and on the second one's pooled projection and the size and crop ids.
     */
    public boolean isXl() {
        return textEncoder2 != null;
    }

    /**
     * model_index.json {@code force_zeros_for_empty_prompt}: whether an empty negative prompt is
     * replaced by zero embeddings (Stable Diffusion XL's pipeline rule; its default, true, applies
     * when an XL folder's index does not say). Always false for folders without a second encoder,
     * whose pipelines have no such rule.
     *
     * @throws EngineException when the field is there but not a boolean
     */
    public boolean forceZerosForEmptyPrompt() {
        if (!isXl()) {
            return false;
        }
        return configFlag(root.resolve("model_index.json"), "force_zeros_for_empty_prompt", true);
    }

    /**
     * SHA-256 over every regular file of the folder: for each, in order of its relative path
     * ('/'-separated), the path's UTF-8 bytes, a zero byte, the file's own SHA-256. Hidden files
     * (names starting with '.') are skipped.
     */
    public String sha256() {
        return folderSha256(root);
    }

    /**
     * The folder hash of {@link #sha256()} for any folder (an evaluator's, say).
     *
     * @throws EngineException when a file cannot be read
     */
    public static String folderSha256(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> files = walk.filter(Files::isRegularFile)
                    .filter(p -> !isHidden(root.relativize(p)))
                    .sorted((a, b) -> rel(root, a).compareTo(rel(root, b)))
                    .toList();
            MessageDigest folder = sha();
            for (Path f : files) {
                folder.update(rel(root, f).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                folder.update((byte) 0);
                folder.update(fileSha256(f));
            }
            return HexFormat.of().formatHex(folder.digest());
        } catch (IOException e) {
            throw new EngineException("model: cannot read " + root + ": " + e.getMessage(), e);
        }
    }

    private static String rel(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    private static boolean isHidden(Path rel) {
        for (Path part : rel) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] fileSha256(Path f) throws IOException {
        MessageDigest d = sha();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return d.digest();
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path require(Path root, String rel) {
        Path p = root.resolve(rel);
        if (!Files.isRegularFile(p)) {
            throw new EngineException("model: " + root + " has no " + rel
                    + " (expected the Stable Diffusion ONNX layout: model_index.json, scheduler/scheduler_config.json,"
                    + " unet/model.onnx, optional text_encoder/ + tokenizer/, optional vae_decoder/)");
        }
        return p;
    }

    private static Path optional(Path root, String rel) {
        Path p = root.resolve(rel);
        return Files.isRegularFile(p) ? p : null;
    }

    /**
     * A positive integer field of a component's config.json, or -1 when the file or the field is
     * absent (or null).
     *
     * @throws EngineException when the field is there but not a positive integer
     */
    public static long configInt(Path config, String field) {
        if (!Files.isRegularFile(config)) {
            return -1;
        }
        JsonNode f = readObject(config).get(field);
        if (f == null || f.isNull()) {
            return -1;
        }
        if (!f.isIntegralNumber() || f.asLong() < 1) {
            throw new EngineException("model: " + config + ": " + field + " must be a positive integer, was " + f);
        }
        return f.asLong();
    }

    /**
     * A size field of a component's config.json that may be one positive integer or a list of two
     * (height, width), as unet/config.json {@code sample_size} is: {height, width}, or null when the
     * file or the field is absent.
     *
     * @throws EngineException when the field is there but neither form
     */
    public static long[] configSize(Path config, String field) {
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode f = readObject(config).get(field);
        if (f == null || f.isNull()) {
            return null;
        }
        if (f.isIntegralNumber() && f.asLong() > 0) {
            return new long[] {f.asLong(), f.asLong()};
        }
        if (f.isArray() && f.size() == 2 && f.get(0).isIntegralNumber() && f.get(1).isIntegralNumber()
                && f.get(0).asLong() > 0 && f.get(1).asLong() > 0) {
            return new long[] {f.get(0).asLong(), f.get(1).asLong()};
        }
        throw new EngineException("model: " + config + ": " + field + " must be a positive integer or a list of two"
                + " (height, width), was " + f);
    }

    /**
     * The length of a list field of a component's config.json (vae_decoder/config.json
     * {@code block_out_channels}, say), or -1 when the file or the field is absent or not a list.
     */
    public static int configListLength(Path config, String field) {
        if (!Files.isRegularFile(config)) {
            return -1;
        }
        JsonNode f = readObject(config).get(field);
        return f != null && f.isArray() ? f.size() : -1;
    }

    /**
     * A boolean field of a component's config.json, or {@code fallback} when the file or the field is
     * absent.
     *
     * @throws EngineException when the field is there but not a boolean
     */
    public static boolean configFlag(Path config, String field, boolean fallback) {
        if (!Files.isRegularFile(config)) {
            return fallback;
        }
        JsonNode f = readObject(config).get(field);
        if (f == null || f.isNull()) {
            return fallback;
        }
        if (!f.isBoolean()) {
            throw new EngineException("model: " + config + ": " + field + " must be true or false, was " + f);
        }
        return f.asBoolean();
    }

    private static JsonNode readObject(Path config) {
        try {
            JsonNode node = Json.MAPPER.readTree(config.toFile());
            if (node == null || !node.isObject()) {
                throw new EngineException("model: " + config + " must hold a JSON object");
            }
            return node;
        } catch (tools.jackson.core.JacksonException e) {
            throw new EngineException("model: " + config + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A VAE whose config gives {@code latents_mean} / {@code latents_std} (Playground v2.5 style) is
     * decoded by its pipeline from {@code latents · std / scaling_factor + mean}; the engine divides by
     * the scaling factor only, so such a folder is refused rather than decoded into wrong pixels.
     */
    private static void refuseLatentStatistics(Path config) {
        if (!Files.isRegularFile(config)) {
            return;
        }
        JsonNode node = readObject(config);
        for (String field : List.of("latents_mean", "latents_std")) {
            JsonNode f = node.get(field);
            if (f != null && !f.isNull()) {
                throw new EngineException("model: " + config + " sets " + field + "; VAEs decoded from per-channel"
                        + " latent statistics are not supported (the engine divides latents by scaling_factor only)");
            }
        }
    }

    private static double readScalingFactor(Path config) {
        if (!Files.isRegularFile(config)) {
            return DEFAULT_VAE_SCALING_FACTOR;
        }
        try {
            JsonNode node = Json.MAPPER.readTree(config.toFile());
            JsonNode f = node.get("scaling_factor");
            if (f == null || f.isNull()) {
                return DEFAULT_VAE_SCALING_FACTOR;
            }
            if (!f.isNumber() || !(f.asDouble() > 0)) {
                throw new EngineException("model: " + config + ": scaling_factor must be a positive number, was " + f);
            }
            return f.asDouble();
        } catch (tools.jackson.core.JacksonException e) {
            throw new EngineException("model: " + config + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
