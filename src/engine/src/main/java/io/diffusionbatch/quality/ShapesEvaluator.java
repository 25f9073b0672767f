package io.diffusionbatch.quality;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.engine.model.JvmShutdown;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The bundled evaluator of the shapes world ({@code models/shapes-eval}): classifiers that read
 * shape, colour, size, position, background, object pairs and motion off 32×32 images and 8-frame
 * videos. {@code labels.json} names each head's classes in output order.
 *
 * <p>Thread-safe (ONNX Runtime sessions may be run concurrently); close it to free the sessions.
 */
public final class ShapesEvaluator implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession image;
    private final OrtSession video;
    private final Map<String, List<String>> imageHeads;
    private final Map<String, List<String>> videoHeads;
    private final ShapesCaptions captions;
    private final Path dir;

    private ShapesEvaluator(Path dir, OrtSession image, OrtSession video, Map<String, List<String>> imageHeads,
                            Map<String, List<String>> videoHeads, ShapesCaptions captions) {
        this.dir = dir;
        this.image = image;
        this.video = video;
        this.imageHeads = imageHeads;
        this.videoHeads = videoHeads;
        this.captions = captions;
    }

    /**
     * Opens an evaluator folder with {@code image.onnx}, {@code video.onnx} and {@code labels.json}.
     *
     * @throws IllegalArgumentException naming the missing file
     */
    public static ShapesEvaluator open(Path dir) {
        for (String f : List.of("image.onnx", "video.onnx", "labels.json")) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IllegalArgumentException("evaluator: " + dir + " has no " + f);
            }
        }
        JsonNode labels = Json.MAPPER.readTree(dir.resolve("labels.json").toFile());
        JvmShutdown.checkRunning("evaluator");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            OrtSession image = env.createSession(dir.resolve("image.onnx").toString());
            OrtSession video = env.createSession(dir.resolve("video.onnx").toString());
            Map<String, List<String>> imageHeads = heads(labels.get("image"));
            Map<String, List<String>> videoHeads = heads(labels.get("video"));
            java.util.Set<List<String>> heldOut = new java.util.HashSet<>();
            if (labels.has("held_out")) {
                labels.get("held_out").forEach(p -> heldOut.add(List.of(p.get(0).asString(), p.get(1).asString())));
            }
            ShapesCaptions captions = new ShapesCaptions(java.util.Set.copyOf(imageHeads.get("shape")),
                    java.util.Set.copyOf(imageHeads.get("colour")), java.util.Set.copyOf(imageHeads.get("size")),
                    java.util.Set.copyOf(imageHeads.get("background")), java.util.Set.copyOf(videoHeads.get("direction")),
                    heldOut);
            return new ShapesEvaluator(dir, image, video, imageHeads, videoHeads, captions);
        } catch (OrtException e) {
            throw new IllegalArgumentException("evaluator: ONNX Runtime cannot load " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, List<String>> heads(JsonNode section) {
        Map<String, List<String>> heads = new LinkedHashMap<>();
        section.get("heads").properties().forEach(e -> {
            List<String> classes = new ArrayList<>();
            e.getValue().forEach(c -> classes.add(c.asString()));
            heads.put(e.getKey(), classes);
        });
        return heads;
    }

    /**
     * What the evaluator reads off one item.
     *
     * @param labels   head → most likely label
     * @param features the feature vector used for FID
     */
    public record Reading(Map<String, String> labels, float[] features) {
    }

    /** The caption reader over this evaluator's vocabulary and held-out list. */
    public ShapesCaptions captions() {
        return captions;
    }

    /**
     * Feature statistics of real images ({@code features_mean.npy}, {@code features_cov.npy}),
     * the reference of FID for image runs.
     *
     * @throws IllegalArgumentException when the files are absent or malformed
     */
    public FeatureStats imageReference() {
        return FeatureStats.read(dir.resolve("features_mean.npy"), dir.resolve("features_cov.npy"));
    }

    /** Readings of images (C, H, W) in [-1, 1]. */
    public List<Reading> judgeImages(List<float[]> images) {
        return judge(image, imageHeads, images, new long[] {3, 32, 32});
    }

    /** Readings of videos (F, C, H, W) in [-1, 1]. */
    public List<Reading> judgeVideos(List<float[]> videos) {
        return judge(video, videoHeads, videos, new long[] {8, 3, 32, 32});
    }

    private List<Reading> judge(OrtSession session, Map<String, List<String>> heads, List<float[]> items,
                                            long[] itemShape) {
        int per = (int) java.util.Arrays.stream(itemShape).reduce(1, (a, b) -> a * b);
        float[] flat = new float[items.size() * per];
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).length != per) {
                throw new IllegalArgumentException("evaluator: item " + i + " has " + items.get(i).length
                        + " values; expected " + java.util.Arrays.toString(itemShape));
            }
            System.arraycopy(items.get(i), 0, flat, i * per, per);
        }
        long[] shape = new long[itemShape.length + 1];
        shape[0] = items.size();
        System.arraycopy(itemShape, 0, shape, 1, itemShape.length);
        String input = session.getInputNames().iterator().next();
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(new LinkedHashMap<>());
        }
        java.util.Set<String> wanted = new java.util.LinkedHashSet<>(heads.keySet());
        wanted.add("features");
        JvmShutdown.checkRunning("evaluator");
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), shape);
             OrtSession.Result r = session.run(Map.of(input, t), wanted)) {
            for (Map.Entry<String, List<String>> head : heads.entrySet()) {
                float[][] logits = (float[][]) r.get(head.getKey()).orElseThrow().getValue();
                for (int i = 0; i < items.size(); i++) {
                    int best = 0;
                    for (int c = 1; c < logits[i].length; c++) {
                        if (logits[i][c] > logits[i][best]) {
                            best = c;
                        }
                    }
                    out.get(i).put(head.getKey(), head.getValue().get(best));
                }
            }
            float[][] features = (float[][]) r.get("features").orElseThrow().getValue();
            List<Reading> readings = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                readings.add(new Reading(out.get(i), features[i]));
            }
            return readings;
        } catch (OrtException e) {
            throw new IllegalStateException("evaluator: ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            image.close();
            video.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
