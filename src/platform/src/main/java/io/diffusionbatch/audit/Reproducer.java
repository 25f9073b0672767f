package io.diffusionbatch.audit;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.job.RunContext;
import io.diffusionbatch.job.RunContexts;
import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.media.ItemWriter;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.UncheckedIOException;
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
    private final RunContexts runs;

    public Reproducer(ItemAudit audit, RunContexts runs) {
        this.audit = audit;
        this.runs = runs;
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
        // the same resolution of model, engine and settings as the run's own workers
        RunContext run = runs.get(ref.run());
        Engine engine = run.engine();
        GenerationSpec spec = new GenerationSpec(item.prompt(), item.negativePrompt() == null ? "" : item.negativePrompt(),
                item.seed(), run.params());
        GeneratedItem made = engine.generate(List.of(spec)).get(0);
        String stored = (String) item.output().get("sha256");
        Path file = scratch.resolve(Path.of((String) item.output().get("path")).getFileName());
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ItemWriter.Written w = ItemWriter.write(made, engine.identity(), file, run.request().output().format(),
                run.fps(), false);
        boolean modelMatches = engine.identity().sha256().equals(item.stats().get("model_sha256"));
        return new Result(ref, w.sha256().equals(stored), stored, w.sha256(), modelMatches, file);
    }
}
