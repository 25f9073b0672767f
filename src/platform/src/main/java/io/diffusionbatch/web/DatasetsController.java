package io.diffusionbatch.web;

import io.diffusionbatch.ledger.DatasetAudit;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.output.OutputRefusedException;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.server.ResponseStatusException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;

/**
 * {@code /datasets}: the datasets and their nights, newest first; {@code /datasets/RUN/card}: an exported night's
 * card ({@code README.md} of its export folder) as plain text. The card is read as {@link FilesController} reads
 * outputs: from the export folder the ledger records, through the {@link OutputStore} (inside the output root, no
 * link on the path, a regular file), and served only while its SHA-256 is the ledger's (409 otherwise); nothing of
 * the URL but the run id is used. Thread-safe.
 */
@Controller
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class DatasetsController {

    /** Nights listed on {@code /datasets}. */
    static final int NIGHT_LIMIT = 200;

    /** The file name of a night's card in its export folder. */
    static final String CARD = "README.md";

    /** Cards larger than this are not served (an export writes a few kilobytes). */
    static final long CARD_MAX_BYTES = 1 << 20;

    private final DatasetAudit audit;
    private final OutputStore files;
    private final OutputRoot root;

    public DatasetsController(DatasetAudit audit, OutputStore files, OutputRoot root) {
        this.audit = audit;
        this.files = files;
        this.root = root;
    }

    @GetMapping("/datasets")
    public String datasets(Model model) {
        model.addAttribute("p", Views.datasets(audit.nights(null, NIGHT_LIMIT)));
        return "dashboard/datasets";
    }

    @GetMapping("/datasets/{run}/card")
    public ResponseEntity<String> card(@PathVariable String run) {
        long id = Params.runId(run);
        DatasetAudit.Night night = audit.night(id).orElseThrow(() -> Params.notFound("no dataset night of run " + id));
        if (night.exportDir() == null || night.cardSha256() == null) {
            throw Params.notFound("run " + id + "'s night (" + night.status().text() + ") has no export");
        }
        byte[] card = read(id, night.exportDir());
        String sha = ItemWriter.sha256(card);
        if (!sha.equalsIgnoreCase(night.cardSha256())) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "the card of run " + id + " on disk differs from"
                    + " what the ledger recorded (SHA-256 " + sha + " on disk, " + night.cardSha256() + " in the"
                    + " ledger); it was changed or replaced after the export, so it is not served");
        }
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .body(new String(card, StandardCharsets.UTF_8));
    }

    /** @throws ResponseStatusException 404 naming which check failed */
    private byte[] read(long run, String exportDir) {
        try (OutputStore.Stored f = files.open(root.folder(run, exportDir), CARD);
             InputStream in = Channels.newInputStream(f.channel())) {
            if (f.size() > CARD_MAX_BYTES) {
                throw Params.notFound("the card of run " + run + " is " + f.size() + " bytes, more than a card has");
            }
            return in.readAllBytes();
        } catch (NoSuchFileException e) {
            throw Params.notFound("the card of run " + run + " is missing on disk (pruned?)");
        } catch (OutputRefusedException e) {
            throw Params.notFound("run " + run + " has no card inside the output root (" + e.getMessage() + ")");
        } catch (IOException | InvalidPathException e) {
            throw Params.notFound("the card of run " + run + " cannot be read");
        }
    }
}
