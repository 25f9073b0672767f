package io.diffusionbatch.audit;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.ModelRegistry;
import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.InvalidRequestException;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes an item again from its rows alone (the run's canonical request gives model and settings,
 * the item row prompt and seed), alone in a batch of one, into a scratch folder, and compares the
 * SHA-256 of the new file with the stored one. On the CPU provider the engine is bit-reproducible
 * across batch sizes and positions, so they match. Thread-safe.
 */
@Service
public class Reproducer {

    /**
     * The outcome for one item.
     *
     * @param storedSha256 the outputs row's hash
     * @param newSha256    the hash of the re-made file
     * @param modelMatches whether the model folder still has the identity recorded for the item
     * @param file         the re-made file
     */
    public record Result(ItemRef ref, boolean matches, String storedSha256, String newSha256, boolean modelMatches,
                         Path file) {
    }

    private final ItemAudit audit;
    private final ModelRegistry models;
    private final RequestLimits limits;

    public Reproducer(ItemAudit audit, ModelRegistry models, RequestLimits limits) {
        this.audit = audit;
        this.models = models;
        this.limits = limits;
    }

    /**
     * @param scratch where the re-made file goes (created if missing)
     * @throws IllegalArgumentException when the item does not exist or has no output
     * @throws IllegalStateException    when its request no longer parses against the catalog
     */
    public Result reproduce(ItemRef ref, Path scratch) {
        ItemRecord item = audit.find(ref).orElseThrow(() -> new IllegalArgumentException("ITEM: no item " + ref));
        if (item.output().isEmpty()) {
            throw new IllegalArgumentException("ITEM: item " + ref + " has no output (status " + item.status() + ")");
        }
        GenerationRequest request;
        try {
            request = RequestParser.parse(item.requestSpec().getBytes(StandardCharsets.UTF_8), limits, models);
        } catch (InvalidRequestException e) {
            throw new IllegalStateException("run " + ref.run() + ": its request no longer parses: " + e.getMessage(), e);
        }
        CatalogModel model = models.find(request.model()).orElseThrow();
        Engine engine = models.engine(request.model());
        SamplingParams params = request.samplingParams(model);
        GenerationSpec spec = new GenerationSpec(item.prompt(), item.negativePrompt() == null ? "" : item.negativePrompt(),
                item.seed(), params);
        GeneratedItem made = engine.generate(List.of(spec)).get(0);
        String stored = (String) item.output().get("sha256");
        Path file = scratch.resolve(Path.of((String) item.output().get("path")).getFileName());
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Integer fps = request.params().fps();
        ItemWriter.Written w = ItemWriter.write(made, engine.identity(), file, request.output().format(),
                fps == null ? io.diffusionbatch.job.RunContexts.DEFAULT_FPS : fps, false);
        boolean modelMatches = engine.identity().sha256().equals(item.stats().get("model_sha256"));
        return new Result(ref, w.sha256().equals(stored), stored, w.sha256(), modelMatches, file);
    }
}
