package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code item RUN/INDEX}: every row about an item. {@code reproduce RUN/INDEX | RUN [--out DIR]}:
 * make the item (or every written item of the run) again from the rows and compare SHA-256 with
 * the stored output; exit 0 only when all match. Not thread-safe.
 */
final class AuditCommand {

    private final PrintStream out;
    private final PrintStream err;

    AuditCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String command, String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options o = Options.parse(split.own(), Set.of("out"), Set.of());
        if (o.positional().size() != 1) {
            throw new UsageException(command + ": needs exactly one " + (command.equals("item") ? "ITEM (RUN/INDEX)" : "ITEM (RUN/INDEX) or RUN"));
        }
        String arg = o.positional().get(0);
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", split.spring())) {
            ItemAudit audit = ctx.getBean(ItemAudit.class);
            if (command.equals("item")) {
                ItemRef ref = ref(arg);
                ItemRecord r = audit.find(ref).orElseThrow(() -> new UsageException("ITEM: no item " + ref));
                print(r);
                return 0;
            }
            Path scratch = o.has("out") ? Path.of(o.string("out", null)) : tempDir();
            List<ItemRef> refs = arg.contains("/") ? List.of(ref(arg))
                    : audit.writtenItems(RunReport.runId(arg).orElseThrow(() -> new UsageException(
                    "RUN: must be a run id or RUN/INDEX, was '" + arg + "'"))).stream()
                    .map(i -> new ItemRef(Long.parseLong(arg), i)).toList();
            if (refs.isEmpty()) {
                throw new UsageException("RUN: run " + arg + " has no written items");
            }
            Reproducer reproducer = ctx.getBean(Reproducer.class);
            int matched = 0;
            for (ItemRef ref : refs) {
                Reproducer.Result res;
                try {
                    res = reproducer.reproduce(ref, scratch);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                matched += res.matches() ? 1 : 0;
                out.println(ref + "  " + (res.matches() ? "match   " : "DIFFERS ") + res.newSha256()
                        + (res.matches() ? "" : " (stored " + res.storedSha256() + ")")
                        + (res.modelMatches() ? "" : "  [model files changed since]"));
            }
            out.println(matched + " of " + refs.size() + " items reproduced bit for bit (files in " + scratch + ")");
            return matched == refs.size() ? 0 : 1;
        }
    }

    private static ItemRef ref(String s) {
        try {
            return ItemRef.parse(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private void print(ItemRecord r) {
        out.println("item       " + r.ref() + "  (request " + r.clientRequestId() + ", model " + r.model() + ")");
        out.println("prompt     " + r.prompt());
        out.println("negative   " + (r.negativePrompt() == null ? "" : r.negativePrompt()));
        out.println("seed       " + r.seed());
        out.println("labels     " + (r.labelsJson() == null ? "{}" : r.labelsJson()));
        out.println("status     " + r.status() + ", attempts " + r.attempts() + (r.worker() == null ? "" : ", worker " + r.worker())
                + (r.error() == null ? "" : ", error: " + r.error()));
        if (!r.output().isEmpty()) {
            out.println("output     " + Path.of(r.outputDir()).resolve((String) r.output().get("path")));
            out.println("sha256     " + r.output().get("sha256") + "  (" + r.output().get("media_type") + ", "
                    + r.output().get("bytes") + " bytes)");
        }
        for (Map.Entry<String, Object> e : r.stats().entrySet()) {
            out.printf("  %-20s %s%n", e.getKey(), e.getValue());
        }
        if (!r.quality().isEmpty()) {
            Object adherent = r.quality().get("adherent");
            out.println("evaluator  read " + r.quality().get("readings"));
            out.println("           " + (adherent == null ? "prompt is not a caption the evaluator can check"
                    : "expected " + r.quality().get("expected") + ": " + (Boolean.TRUE.equals(adherent) ? "adherent"
                    : "NOT adherent")));
        }
        out.println("request    " + r.requestSpec());
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("reproduce-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
