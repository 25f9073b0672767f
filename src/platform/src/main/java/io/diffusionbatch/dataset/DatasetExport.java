package io.diffusionbatch.dataset;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.media.ItemWriter;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes one night's export into a folder (docs/DATASETS.md "Export"), from the included samples in index order:
 * <pre>
 *   SPLIT/KEY.png (.mp4)         the item's output, byte for byte        (imagefolder)
 *   SPLIT/metadata.jsonl         one line per sample, index order          (imagefolder)
 *   webdataset/SPLIT-NNNNNN.tar  KEY.png + KEY.json per sample, shardSize samples per tar (webdataset)
 *   README.md                    the dataset card ({@link DatasetCard})
 *   SHA256SUMS                   "HASH  PATH" of every file but itself and README.md, sorted by path
 * </pre>
 * KEY is the item's index, ten digits. Every byte is a function of the samples given: the tars are written by
 * {@link TarWriter} (fixed order, mtime, owner, mode), the JSON with a fixed key order, no time or host anywhere,
 * so the same night gives identical files. Not thread-safe; one instance per export.
 */
public final class DatasetExport implements Closeable {

    /** Splits in the order they are written and listed. */
    public static final List<String> SPLITS = List.of("train", "validation", "test");

    /** One written file: its path under the export folder, its sha256 and size. */
    public record FileSum(String path, String sha256, long bytes) {
    }

    private final Path dir;
    private final DatasetSpec spec;
    private final Map<String, SplitWriter> splits = new TreeMap<>();
    private final List<FileSum> files = new ArrayList<>();
    private boolean closed;

    /** @param dir an empty folder to write into; never null */
    public DatasetExport(Path dir, DatasetSpec spec) {
        this.dir = dir;
        this.spec = spec;
    }

    /** The sample's key: its index, ten digits. */
    public static String key(long index) {
        return String.format(Locale.ROOT, "%010d", index);
    }

    /**
     * The sample's metadata line (the same object is the tar's KEY.json), fields in this order: file_name, key,
     * index, split, prompt, negative_prompt, seed, labels, model, model_sha256, sha256, media_type, params, quality.
     *
     * @param params  the generation parameters as the engine resolved them; never null
     * @param quality what the evaluator read, expected and judged; null when not assessed
     */
    public static ObjectNode metadata(long index, String split, String prompt, @Nullable String negative, long seed,
                                      Map<String, String> labels, String model, String modelSha256, String sha256,
                                      String mediaType, ObjectNode params, @Nullable ObjectNode quality) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("file_name", key(index) + "." + extension(mediaType));
        o.put("key", key(index));
        o.put("index", index);
        o.put("split", split);
        o.put("prompt", prompt);
        if (negative == null) {
            o.putNull("negative_prompt");
        } else {
            o.put("negative_prompt", negative);
        }
        o.put("seed", seed);
        ObjectNode l = o.putObject("labels");
        new TreeMap<>(labels).forEach(l::put);
        o.put("model", model);
        o.put("model_sha256", modelSha256);
        o.put("sha256", sha256);
        o.put("media_type", mediaType);
        o.set("params", params);
        if (quality == null) {
            o.putNull("quality");
        } else {
            o.set("quality", quality);
        }
        return o;
    }

    /** png for image/png, mp4 for video/mp4. */
    public static String extension(String mediaType) {
        return switch (mediaType) {
            case "image/png" -> "png";
            case "video/mp4" -> "mp4";
            default -> throw new IllegalArgumentException("an export holds PNG images or MP4 videos, not " + mediaType);
        };
    }

    /**
     * Adds a sample; calls come in index order.
     *
     * @param metadata its {@link #metadata} object
     * @param media    its output's bytes
     */
    public void add(ObjectNode metadata, byte[] media) throws IOException {
        if (closed) {
            throw new IllegalStateException("export already finished");
        }
        String split = metadata.get("split").asString();
        SplitWriter w = splits.get(split);
        if (w == null) {
            w = new SplitWriter(split);
            splits.put(split, w);
        }
        w.add(metadata, media);
    }

    /** Samples written per split, in {@link #SPLITS} order (splits without samples left out). */
    public Map<String, Long> counts() {
        Map<String, Long> m = new LinkedHashMap<>();
        SPLITS.forEach(s -> {
            if (splits.containsKey(s)) {
                m.put(s, splits.get(s).count);
            }
        });
        return m;
    }

    /** Tar shards written per split. */
    public Map<String, Integer> shards() {
        Map<String, Integer> m = new LinkedHashMap<>();
        SPLITS.forEach(s -> {
            if (splits.containsKey(s)) {
                m.put(s, splits.get(s).shard);
            }
        });
        return m;
    }

    /**
     * Closes the data files and writes SHA256SUMS; the card is written after, by {@link #writeCard}.
     *
     * @return the sha256 of SHA256SUMS (the data's fingerprint)
     */
    public String finishData() throws IOException {
        for (SplitWriter w : splits.values()) {
            w.close();
        }
        closed = true;
        files.sort(java.util.Comparator.comparing(FileSum::path));
        StringBuilder sums = new StringBuilder();
        files.forEach(f -> sums.append(f.sha256()).append("  ").append(f.path()).append('\n'));
        return write("SHA256SUMS", sums.toString().getBytes(StandardCharsets.UTF_8), false).sha256();
    }

    /** Writes README.md; returns its sha256. */
    public FileSum writeCard(String markdown) throws IOException {
        return write("README.md", markdown.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Files in SHA256SUMS (every data file), sorted by path. */
    public List<FileSum> files() {
        return List.copyOf(files);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            for (SplitWriter w : splits.values()) {
                w.close();
            }
        }
    }

    private FileSum write(String path, byte[] bytes, boolean listed) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        FileSum sum = new FileSum(path, ItemWriter.sha256(bytes), bytes.length);
        if (listed) {
            files.add(sum);
        }
        return sum;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One split's imagefolder and shards. */
    private final class SplitWriter {
        private final String split;
        private final boolean folder = spec.export().formats().contains(DatasetSpec.Export.IMAGEFOLDER);
        private final boolean tars = spec.export().formats().contains(DatasetSpec.Export.WEBDATASET);
        private @Nullable Counting metadata;
        private @Nullable Counting tarFile;
        private @Nullable TarWriter tar;
        private long count;
        private int inShard;
        private int shard;

        SplitWriter(String split) {
            this.split = split;
        }

        void add(ObjectNode meta, byte[] media) throws IOException {
            String name = meta.get("file_name").asString();
            byte[] json = Json.MAPPER.writeValueAsBytes(meta);
            if (folder) {
                write(split + "/" + name, media, true);
                if (metadata == null) {
                    metadata = new Counting(split + "/metadata.jsonl");
                }
                metadata.out.write(json);
                metadata.out.write('\n');
            }
            if (tars) {
                if (tar == null) {
                    tarFile = new Counting(String.format(Locale.ROOT, "webdataset/%s-%06d.tar", split, shard));
                    tar = new TarWriter(tarFile.out);
                }
                tar.add(name, media);
                tar.add(meta.get("key").asString() + ".json", json);
                if (++inShard == spec.export().shardSize()) {
                    closeShard();
                }
            }
            count++;
        }

        private void closeShard() throws IOException {
            if (tar != null) {
                tar.close();
                files.add(tarFile.sum());
                tar = null;
                tarFile = null;
                inShard = 0;
                shard++;
            }
        }

        void close() throws IOException {
            closeShard();
            if (metadata != null) {
                metadata.out.close();
                files.add(metadata.sum());
                metadata = null;
            }
        }
    }

    /** A file written through a digest. */
    private final class Counting {
        final String path;
        final MessageDigest md = digest();
        final CountingStream counter;
        final OutputStream out;

        Counting(String path) throws IOException {
            this.path = path;
            Path file = dir.resolve(path);
            Files.createDirectories(file.getParent());
            counter = new CountingStream(new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file),
                    1 << 16), md));
            out = counter;
        }

        FileSum sum() {
            return new FileSum(path, HexFormat.of().formatHex(md.digest()), counter.n);
        }
    }

    private static final class CountingStream extends java.io.FilterOutputStream {
        long n;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            n++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            n += len;
        }
    }
}
