package io.diffusionbatch.media;

import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.ModelIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes a generated item to its files: the output in the chosen format (with the reproducible
 * provenance inside PNGs), a sidecar JSON with the full provenance and this run's counters, and
 * optionally the final latent as .npy. Stateless and thread-safe; arguments are never null.
 */
public final class ItemWriter {

    /** The keyword of the PNG iTXt chunk that holds the JSON provenance. */
    public static final String PROVENANCE_KEYWORD = "diffusion-batch";

    /**
     * What was written.
     *
     * @param file      the output file
     * @param sha256    its SHA-256
     * @param mediaType its media type
     * @param bytes     its size
     * @param sidecar   the sidecar JSON
     * @param latent    the latent .npy, or null
     * @param item      the item with its write time filled in
     */
    public record Written(Path file, String sha256, String mediaType, long bytes, Path sidecar, Path latent,
                          GeneratedItem item) {
    }

    private ItemWriter() {
    }

    /**
     * Writes {@code item} to {@code file} (parent folders are created).
     *
     * @param fps        frames per second of a video
     * @param saveLatent also write {@code <name>.latent.npy}
     * @throws IllegalArgumentException when the format cannot hold the item (e.g. a video as PNG)
     */
    public static Written write(GeneratedItem item, ModelIdentity model, Path file, OutputFormat format, int fps,
                                boolean saveLatent) {
        if (item.isVideo() ? !format.holdsVideo() : !format.holdsImage()) {
            throw new IllegalArgumentException("format: " + format.extension() + " cannot hold "
                    + (item.isVideo() ? "a video; use mp4, gif or npy" : "an image; use png or npy"));
        }
        long start = System.nanoTime();
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            switch (format) {
                case PNG -> PngWriter.write(file, image(item, 0), List.of(
                        PngText.latin1("parameters", Provenance.a1111(item, model).format()),
                        PngText.international(PROVENANCE_KEYWORD, Provenance.reproducible(item, model, fps).toString())));
                case NPY -> NpyWriter.write(file, item.pixels(), toInts(item.pixelShape()));
                case GIF -> GifWriter.write(file, frames(item), fps);
                case MP4 -> Mp4Writer.write(file, frames(item), fps);
                default -> throw new IllegalStateException(format.name());
            }
            Path latent = null;
            if (saveLatent) {
                latent = file.resolveSibling(baseName(file) + ".latent.npy");
                NpyWriter.write(latent, item.latent(), toInts(item.latentShape()));
            }
            GeneratedItem timed = item.withCounters(item.counters().withWriteSeconds((System.nanoTime() - start) / 1e9));
            Path sidecar = SidecarJson.write(file, Provenance.full(timed, model, fps));
            return new Written(file, sha256(file), format.mediaType(), Files.size(file), sidecar, latent, timed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<RgbImage> frames(GeneratedItem item) {
        int f = (int) item.pixelShape()[0];
        List<RgbImage> frames = new ArrayList<>(f);
        for (int i = 0; i < f; i++) {
            frames.add(image(item, i));
        }
        return frames;
    }

    private static RgbImage image(GeneratedItem item, int frame) {
        long[] s = item.pixelShape();
        int c = (int) s[s.length - 3], h = (int) s[s.length - 2], w = (int) s[s.length - 1];
        return RgbImage.fromChw(item.pixels(), frame * c * h * w, c, h, w);
    }

    private static int[] toInts(long[] shape) {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.toIntExact(shape[i]);
        }
        return s;
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** SHA-256 of bytes, hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
