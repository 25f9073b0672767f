package io.diffusionbatch.cli;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import java.io.PrintStream;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code item RUN/INDEX}: every row about an item. One instance per command line; not thread-safe. */
@Command(name = "item", sortOptions = false,
        description = {"Every row about one item: prompt, seed, parameters, output and its SHA-256, statistics, and "
                + "what the evaluator read."})
final class ItemCommand extends PlatformCommand {

    @Parameters(paramLabel = "ITEM", description = "RUN/INDEX, e.g. 3/0 for the first item of run 3.")
    private String item;

    private final PrintStream out;

    ItemCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            ItemRef ref = ref(item, this);
            ItemRecord r = ctx.getBean(ItemAudit.class).find(ref).orElseThrow(() -> usage("ITEM: no item " + ref));
            print(r, ctx.getBean(OutputRoot.class));
            return 0;
        }
    }

    /** An item reference RUN/INDEX, or a usage error of the command. */
    static ItemRef ref(String s, PlatformCommand command) {
        try {
            return ItemRef.parse(s);
        } catch (IllegalArgumentException e) {
            throw command.usage(e.getMessage());
        }
    }

    private void print(ItemRecord r, OutputRoot root) {
        out.println("item       " + r.ref() + "  (request " + r.clientRequestId() + ", model " + r.model() + ")");
        out.println("prompt     " + r.prompt());
        out.println("negative   " + (r.negativePrompt() == null ? "" : r.negativePrompt()));
        out.println("seed       " + r.seed());
        out.println("labels     " + (r.labelsJson() == null ? "{}" : r.labelsJson()));
        out.println("status     " + r.status() + ", attempts " + r.attempts() + (r.worker() == null ? "" : ", worker " + r.worker())
                + (r.error() == null ? "" : ", error: " + r.error()));
        if (!r.output().isEmpty()) {
            out.println("output     " + root.shown(r.ref().run(), r.outputDir() + "/" + r.output().get("path")));
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
}
