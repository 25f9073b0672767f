package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.output.OutputRefusedException;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.server.ResponseStatusException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/**
 * {@code /files/RUN/INDEX}: an item's output file, as the ledger records it, and only when it is a regular file in
 * its run's folder inside the output root, reached without a symbolic link anywhere below the root (the
 * {@link OutputStore} checks the whole path and opens without following links), and when its size and SHA-256 are
 * the ledger's. A file that is missing, outside the root or reached through a link is a 404; one whose bytes differ
 * from the ledger's record is a 409 that says so, and is not served. The size is compared on every request, the
 * SHA-256 once per version of the file (a {@link DigestCache}: hashing a video on every request would cost more
 * than sending it). Images and videos are sent with their media type, anything else as a download. Thread-safe.
 */
@Controller
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class FilesController {

    /** Files whose SHA-256 is remembered; a few pages of thumbnails and then some. */
    static final int DIGESTS_KEPT = 4096;

    private final DashboardStore store;
    private final ItemAudit audit;
    private final OutputStore files;
    private final OutputRoot root;
    private final DigestCache digests = new DigestCache(DIGESTS_KEPT);

    public FilesController(DashboardStore store, ItemAudit audit, OutputStore files, OutputRoot root) {
        this.store = store;
        this.audit = audit;
        this.files = files;
        this.root = root;
    }

    @GetMapping("/files/{run}/{index}")
    public void file(@PathVariable String run, @PathVariable String index, HttpServletResponse response)
            throws IOException {
        ItemRef ref = Params.itemRef(run, index);
        Lookups.item(store, audit, ref);
        DashboardStore.StoredOutput o = store.output(ref.run(), ref.index())
                .orElseThrow(() -> Params.notFound("item " + ref + " has no output file"));
        try (OutputStore.Stored f = open(o, ref)) {
            checkAgainstLedger(o, ref, f);
            String type = servedType(o.mediaType());
            response.setContentType(type);
            if (type.equals("application/octet-stream")) {
                response.setHeader("Content-Disposition", "attachment");
            }
            response.setHeader("Cache-Control", "private, max-age=60");
            response.setContentLengthLong(f.size());
            try (InputStream in = Channels.newInputStream(f.channel()); OutputStream out = response.getOutputStream()) {
                in.transferTo(out);
            }
        }
    }

    /**
     * Opens a recorded output through the output store.
     *
     * @throws org.springframework.web.server.ResponseStatusException 404 naming which check failed
     */
    private OutputStore.Stored open(DashboardStore.StoredOutput o, ItemRef ref) {
        try {
            return files.open(root.folder(ref.run(), o.runDir()), o.path());
        } catch (NoSuchFileException e) {
            throw Params.notFound("the output file of item " + ref + " is missing on disk");
        } catch (OutputRefusedException e) {
            throw Params.notFound("item " + ref + " has no output file inside the output root (" + e.getMessage() + ")");
        } catch (IOException | InvalidPathException e) {
            throw Params.notFound("the output file of item " + ref + " cannot be read");
        }
    }

    /**
     * @throws ResponseStatusException 409 when the file's size or SHA-256 is not what the ledger recorded
     */
    private void checkAgainstLedger(DashboardStore.StoredOutput o, ItemRef ref, OutputStore.Stored f)
            throws IOException {
        if (f.size() != o.bytes()) {
            throw differs(ref, f.size() + " bytes on disk, " + o.bytes() + " in the ledger");
        }
        String sha = digests.sha256(new DigestCache.Key(o.runDir() + "/" + o.path(), f.size(), f.version()), f.channel());
        if (!sha.equalsIgnoreCase(o.sha256())) {
            throw differs(ref, "SHA-256 " + sha + " on disk, " + o.sha256() + " in the ledger");
        }
    }

    private static ResponseStatusException differs(ItemRef ref, String detail) {
        return new ResponseStatusException(HttpStatus.CONFLICT, "the output file of item " + ref
                + " on disk differs from what the ledger recorded (" + detail + "); it was changed or replaced after"
                + " it was written, so it is not served");
    }

    /** Images (but SVG) and videos keep their media type; anything else is sent as bytes to download. */
    static String servedType(String mediaType) {
        String t = mediaType == null ? "" : mediaType.toLowerCase(Locale.ROOT).trim();
        boolean media = t.matches("(image|video)/[a-z0-9.+-]+") && !t.contains("svg");
        return media ? t : "application/octet-stream";
    }
}
