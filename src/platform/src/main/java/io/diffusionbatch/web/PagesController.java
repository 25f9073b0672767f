package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.PartitionStore;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.ledger.RunFiguresReader;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.QualityStore;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RunSummary;
import io.diffusionbatch.output.OutputRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The dashboard's pages: {@code /} runs, {@code /runs/ID} a run, {@code /items/RUN/INDEX} an item
 * (POST {@code .../reproduce} makes it again), {@code /quality}, {@code /rejected}. Each renders a
 * {@link Views} value with its template in {@code templates/dashboard/}. Thread-safe.
 */
@Controller
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class PagesController {

    /** Runs shown on the runs list, the quality page and by {@code /api/runs}. */
    public static final int RUN_LIMIT = 200;

    private static final Logger LOG = LoggerFactory.getLogger(PagesController.class);

    private final DashboardStore store;
    private final ItemAudit audit;
    private final Reproducer reproducer;
    private final RunFiguresReader figures;
    private final QualityStore quality;
    private final RejectionStore rejections;
    private final OutputRoot root;
    private final PartitionStore partitions;

    public PagesController(DashboardStore store, ItemAudit audit, Reproducer reproducer, RunFiguresReader figures,
                           QualityStore quality, RejectionStore rejections, OutputRoot root,
                           PartitionStore partitions) {
        this.partitions = partitions;
        this.store = store;
        this.audit = audit;
        this.reproducer = reproducer;
        this.figures = figures;
        this.quality = quality;
        this.rejections = rejections;
        this.root = root;
    }

    @GetMapping("/")
    public String runs(Model model) {
        model.addAttribute("p", Views.runs(store.latestRuns(RUN_LIMIT)));
        return "dashboard/runs";
    }

    @GetMapping("/runs/{run}")
    public String run(@PathVariable String run, @RequestParam(name = "page", required = false) String pageParam,
                      Model model) {
        long id = Params.runId(run);
        RunSummary r = Lookups.run(store, id);
        int page = Params.page(pageParam);
        long pages = Math.max(1, (r.total() + Views.SHEET_PAGE - 1) / Views.SHEET_PAGE);
        if (page > pages) {
            throw Params.notFound("page: run " + id + " has " + pages + " page(s) of items, asked for page " + page);
        }
        long from = (long) (page - 1) * Views.SHEET_PAGE;
        int fidImages = quality.find(id).map(QualityStore.RunQualityRow::fidItems).orElse(0);
        model.addAttribute("p", Views.run(r, root, figures.read(id), fidImages, store.stageTimes(id),
                store.cells(id, from, from + Views.SHEET_PAGE), page));
        model.addAttribute("partitions", Views.partitions(partitions.attempts(id)));
        return "dashboard/run";
    }

    @GetMapping("/items/{run}/{index}")
    public String item(@PathVariable String run, @PathVariable String index, Model model) {
        model.addAttribute("p", Views.item(Lookups.item(store, audit, Params.itemRef(run, index)), root, null));
        return "dashboard/item";
    }

    /** Makes the item again from its rows into a scratch folder (removed after) and shows the comparison. */
    @PostMapping("/items/{run}/{index}/reproduce")
    public String reproduce(@PathVariable String run, @PathVariable String index, Model model) {
        ItemRef ref = Params.itemRef(run, index);
        ItemRecord record = Lookups.item(store, audit, ref);
        if (record.output().isEmpty()) {
            throw Params.badRequest("item " + ref + " has no output to reproduce (status " + record.status() + ")");
        }
        Path scratch;
        try {
            scratch = Files.createTempDirectory("dashboard-reproduce-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            model.addAttribute("p", Views.item(record, root, reproducer.reproduce(ref, scratch)));
        } catch (IllegalStateException | IllegalArgumentException e) {
            // e.g. the run's request no longer parses against the catalog: say so, as the CLI does
            throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "cannot reproduce item " + ref + ": "
                    + e.getMessage(), e);
        } finally {
            deleteTree(scratch);
        }
        return "dashboard/item";
    }

    @GetMapping("/quality")
    public String quality(Model model) {
        model.addAttribute("p", Views.quality(store.measuredRuns(RUN_LIMIT)));
        return "dashboard/quality";
    }

    @GetMapping("/rejected")
    public String rejected(Model model) {
        model.addAttribute("p", Views.rejected(rejections.latest(RUN_LIMIT)));
        return "dashboard/rejected";
    }

    /** Browsers ask for it on every page: nothing, without a 404 page. */
    @GetMapping("/favicon.ico")
    public ResponseEntity<Void> favicon() {
        return ResponseEntity.noContent().build();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("dashboard: cannot remove {}", dir, e);
        }
    }
}
