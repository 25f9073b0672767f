package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.platform.DiffusionProperties;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * {@code /files/RUN/INDEX}: an item's output file, as the ledger records it, and only when it is a
 * regular file whose real path (links followed) lies inside the output root
 * ({@code diffusion.output-root}) and inside its run's folder; anything else is a 404. Images and
 * videos are sent with their media type, anything else as a download. Thread-safe.
 */
@Controller
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class FilesController {

    private final DashboardStore store;
    private final ItemAudit audit;
    private final Path outputRoot;

    public FilesController(DashboardStore store, ItemAudit audit, DiffusionProperties props) {
        this.store = store;
        this.audit = audit;
        this.outputRoot = props.outputRoot();
    }

    @GetMapping("/files/{run}/{index}")
    public void file(@PathVariable String run, @PathVariable String index, HttpServletResponse response)
            throws IOException {
        ItemRef ref = Params.itemRef(run, index);
        Lookups.item(store, audit, ref);
        DashboardStore.StoredOutput o = store.output(ref.run(), ref.index())
                .orElseThrow(() -> Params.notFound("item " + ref + " has no output file"));
        Path file = realFile(outputRoot, o, ref);
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            String type = servedType(o.mediaType());
            response.setContentType(type);
            if (type.equals("application/octet-stream")) {
                response.setHeader("Content-Disposition", "attachment");
            }
            response.setHeader("Cache-Control", "private, max-age=60");
            response.setContentLengthLong(ch.size());
            try (InputStream in = Channels.newInputStream(ch); OutputStream out = response.getOutputStream()) {
                in.transferTo(out);
            }
        }
    }

    /**
     * The real path of a recorded output, checked: the recorded path stays inside its run's folder,
     * the file exists, its real path is inside the output root's real path, and it is a regular file.
     *
     * @throws org.springframework.web.server.ResponseStatusException 404 naming which check failed
     */
    static Path realFile(Path outputRoot, DashboardStore.StoredOutput o, ItemRef ref) {
        Path dir = Path.of(o.runDir()).toAbsolutePath().normalize();
        Path file = dir.resolve(o.path()).normalize();
        if (!file.startsWith(dir)) {
            throw Params.notFound("item " + ref + " has no output file inside its run's folder");
        }
        Path real;
        Path root;
        try {
            root = outputRoot.toAbsolutePath().normalize().toRealPath();
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw Params.notFound("the output file of item " + ref + " is missing on disk");
        } catch (IOException e) {
            throw Params.notFound("the output file of item " + ref + " cannot be read");
        }
        if (!real.startsWith(root) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw Params.notFound("item " + ref + " has no output file inside the output root");
        }
        return real;
    }

    /** Images (but SVG) and videos keep their media type; anything else is sent as bytes to download. */
    static String servedType(String mediaType) {
        String t = mediaType == null ? "" : mediaType.toLowerCase(Locale.ROOT).trim();
        boolean media = t.matches("(image|video)/[a-z0-9.+-]+") && !t.contains("svg");
        return media ? t : "application/octet-stream";
    }
}
