package io.diffusionbatch.media;

import io.diffusionbatch.engine.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Writes a JSON provenance document next to a media file: for {@code out/img_0001.mp4} the sidecar is
 * {@code out/img_0001.json} (the media file name with its last extension replaced by {@code .json}; a name
 * without extension gets {@code .json} appended). Media files that differ only in extension therefore share
 * one sidecar: give them different base names.
 *
 * <p>A string is checked to be one well-formed JSON value and written unchanged (UTF-8, plus a final newline
 * if missing); a {@link JsonNode} is written pretty-printed. Files are written via a temporary sibling and an
 * atomic move. Stateless and thread-safe; null arguments are rejected with {@link NullPointerException}.
 */
public final class SidecarJson {


    private SidecarJson() {
    }

    /** The sidecar path for {@code mediaFile}. */
    public static Path sidecarPath(Path mediaFile) {
        Objects.requireNonNull(mediaFile, "mediaFile must not be null");
        Path name = mediaFile.getFileName();
        if (name == null) {
            throw new IllegalArgumentException("mediaFile has no file name: " + mediaFile);
        }
        String n = name.toString();
        int dot = n.lastIndexOf('.');
        String base = dot > 0 ? n.substring(0, dot) : n;
        if (n.endsWith(".json") && dot > 0) {
            throw new IllegalArgumentException("mediaFile is itself a .json file: " + mediaFile);
        }
        return mediaFile.resolveSibling(base + ".json");
    }

    /**
     * Writes {@code json} to the sidecar of {@code mediaFile}.
     *
     * @return the sidecar path
     * @throws IllegalArgumentException if {@code json} is not one well-formed JSON value
     */
    public static Path write(Path mediaFile, String json) throws IOException {
        Objects.requireNonNull(json, "json must not be null");
        try {
            Json.MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("json is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
        Path p = sidecarPath(mediaFile);
        String text = json.endsWith("\n") ? json : json + "\n";
        AtomicFiles.write(p, text.getBytes(StandardCharsets.UTF_8));
        return p;
    }

    /** Writes {@code node} pretty-printed to the sidecar of {@code mediaFile}; returns the sidecar path. */
    public static Path write(Path mediaFile, JsonNode node) throws IOException {
        Objects.requireNonNull(node, "node must not be null");
        Path p = sidecarPath(mediaFile);
        AtomicFiles.write(p, (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        return p;
    }
}
