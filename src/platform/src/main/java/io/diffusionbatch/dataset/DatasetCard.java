package io.diffusionbatch.dataset;

import org.jspecify.annotations.Nullable;

import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A night's dataset card, {@code README.md}: Hugging Face front matter (two configs: the imagefolder and the
 * WebDataset shards), then the spec, the model and its sha256, the counts per split, the items the gate or the run
 * left out and why, the run's efficiency figures per sample and its quality figures. Everything in it is read from
 * the ledger, so exporting a night again gives the same card (CO2 is the ledger's energy times the grid intensity
 * the exporting process is configured with, {@code diffusion.energy.grid-g-per-kwh}); the figures that are
 * measurements (seconds, energy) differ between two runs of the same night, which is why SHA256SUMS does not list
 * the card. Stateless.
 */
public final class DatasetCard {

    /** Exclusions listed one by one in the card (all are in the ledger). */
    public static final int LISTED_EXCLUSIONS = 50;

    /**
     * The run's figures per sample, as the ledger has them; null = not measured.
     *
     * @param nfe              network evaluations per sample
     * @param gflops           GFLOPs per sample
     * @param seconds          engine seconds per sample
     * @param joules           energy per sample
     * @param gco2             grams of CO2 per sample
     * @param device           where it ran
     * @param energySource     how energy was measured or estimated
     */
    public record Figures(@Nullable Double nfe, @Nullable Double gflops, @Nullable Double seconds,
                          @Nullable Double joules, @Nullable Double gco2, @Nullable String device,
                          @Nullable String energySource) {
    }

    /** The run's quality as its evaluator judged it; null figures were not computed. */
    public record Quality(@Nullable String evaluator, long assessed, long labelled, @Nullable Double adherence,
                          @Nullable Double fid) {
    }

    /** An excluded item. */
    public record Excluded(long index, String reason, String detail) {
    }

    /**
     * Everything a card says.
     *
     * @param rejectedShare items rejected by the gate / items of the night
     * @param gateFailure   why the night failed its gate; null = passed (or no gate)
     * @param dataSha256    sha256 of SHA256SUMS
     */
    public record Content(DatasetSpec spec, LocalDate night, String requestId, long run, String modelSha256,
                          long itemsTotal, Map<String, Long> splits, Map<String, Integer> shards,
                          Map<String, Long> excludedByReason, List<Excluded> excluded, double rejectedShare,
                          @Nullable String gateFailure, Figures figures, @Nullable Quality quality,
                          String dataSha256) {
    }

    private DatasetCard() {
    }

    public static String render(Content c) {
        DatasetSpec s = c.spec();
        StringBuilder b = new StringBuilder();
        b.append("---\n");
        b.append("pretty_name: \"").append(s.name()).append(", night ").append(c.night()).append("\"\n");
        b.append("task_categories:\n- ").append("mp4".equals(s.format()) ? "text-to-video" : "text-to-image")
                .append("\n");
        b.append("tags:\n- synthetic\n- diffusion-batch\n");
        b.append("configs:\n");
        if (s.export().formats().contains(DatasetSpec.Export.IMAGEFOLDER)) {
            b.append("- config_name: default\n  data_files:\n");
            c.splits().keySet().forEach(split -> b.append("  - split: ").append(split).append("\n    path: \"")
                    .append(split).append("/*\"\n"));
        }
        if (s.export().formats().contains(DatasetSpec.Export.WEBDATASET)) {
            b.append("- config_name: webdataset\n  data_files:\n");
            c.splits().keySet().forEach(split -> b.append("  - split: ").append(split).append("\n    path: \"webdataset/")
                    .append(split).append("-*.tar\"\n"));
        }
        b.append("---\n\n");
        b.append("# ").append(s.name()).append(": night ").append(c.night()).append("\n\n");
        if (c.gateFailure() != null) {
            b.append("> **QUALITY GATE FAILED**: ").append(c.gateFailure())
                    .append(". The export is kept for inspection; do not train on it unreviewed.\n\n");
        }
        if (!s.description().isEmpty()) {
            b.append(s.description().strip()).append("\n\n");
        }
        long exported = c.splits().values().stream().mapToLong(Long::longValue).sum();
        b.append("Synthesized by diffusion-batch, request `").append(c.requestId()).append("` (run ").append(c.run())
                .append("): ").append(exported).append(" of ").append(c.itemsTotal()).append(" items exported.\n\n");
        b.append("| | |\n|---|---|\n");
        b.append("| model | `").append(s.model()).append("` |\n");
        b.append("| model sha256 | `").append(c.modelSha256()).append("` |\n");
        b.append("| spec sha256 | `").append(s.sha256()).append("` |\n");
        b.append("| data sha256 (of SHA256SUMS) | `").append(c.dataSha256()).append("` |\n");
        b.append("| formats | ").append(String.join(", ", s.export().formats())).append(" (")
                .append(s.export().shardSize()).append(" samples per shard) |\n\n");

        b.append("## Splits\n\n| split | samples | shards |\n|---|---:|---:|\n");
        c.splits().forEach((split, n) -> b.append("| ").append(split).append(" | ").append(n).append(" | ")
                .append(c.shards().getOrDefault(split, 0)).append(" |\n"));
        b.append("| **total** | ").append(exported).append(" | ")
                .append(c.shards().values().stream().mapToInt(Integer::intValue).sum()).append(" |\n\n");
        b.append(String.format(Locale.ROOT, "Splits by %s: validation %s, test %s, the rest train.%n%n",
                s.splits().by(), num(s.splits().validation()), num(s.splits().test())));

        b.append("## Left out\n\n");
        if (c.excludedByReason().isEmpty()) {
            b.append("Nothing: every item was made and passed").append(s.gate() == null ? " (no gate)" : " the gate")
                    .append(".\n\n");
        } else {
            b.append("| reason | items |\n|---|---:|\n");
            c.excludedByReason().forEach((r, n) -> b.append("| ").append(r).append(" | ").append(n).append(" |\n"));
            b.append("| **total** | ").append(c.itemsTotal() - exported).append(" |\n\n");
            b.append("| item | reason | detail |\n|---:|---|---|\n");
            c.excluded().stream().limit(LISTED_EXCLUSIONS).forEach(e -> b.append("| ").append(e.index()).append(" | ")
                    .append(e.reason()).append(" | ").append(cell(e.detail())).append(" |\n"));
            if (c.excluded().size() > LISTED_EXCLUSIONS) {
                b.append("\n").append(c.excluded().size() - LISTED_EXCLUSIONS)
                        .append(" more are in the ledger (`dataset show`).\n");
            }
            b.append("\n");
        }
        b.append("## Quality gate\n\n");
        if (s.gate() == null) {
            b.append("None.\n\n");
        } else {
            b.append(String.format(Locale.ROOT, "verdict `%s`, minimum score %s, at most %s of the items rejected: "
                            + "%s rejected (%s).%n%n", s.gate().verdict(),
                    s.gate().minScore() == null ? "none" : num(s.gate().minScore()), num(s.gate().maxRejected()),
                    num(c.rejectedShare()), c.gateFailure() == null ? "passed" : "failed"));
        }
        b.append("## Efficiency (per sample)\n\n| figure | value |\n|---|---:|\n");
        Figures f = c.figures();
        row(b, "NFE", f.nfe());
        row(b, "GFLOPs", f.gflops());
        row(b, "seconds", f.seconds());
        row(b, "energy (J)", f.joules());
        row(b, "CO2 (g)", f.gco2());
        b.append("| device | ").append(f.device() == null ? "-" : cell(f.device())).append(" |\n");
        b.append("| energy source | ").append(f.energySource() == null ? "-" : cell(f.energySource())).append(" |\n\n");
        b.append("## Quality\n\n");
        Quality q = c.quality();
        if (q == null) {
            b.append("Not assessed (the model has no evaluator).\n\n");
        } else {
            b.append("| figure | value |\n|---|---:|\n");
            b.append("| evaluator | ").append(q.evaluator() == null ? "-" : cell(q.evaluator())).append(" |\n");
            b.append("| items assessed | ").append(q.assessed()).append(" |\n");
            b.append("| captions judged | ").append(q.labelled()).append(" |\n");
            row(b, "adherence", q.adherence());
            row(b, "FID", q.fid());
            b.append("\n");
        }
        b.append("## Spec\n\n```json\n").append(s.canonicalJson()).append("\n```\n\n");
        b.append("## Files\n\n`SHA256SUMS` lists every file but itself and this card; check with `sha256sum -c "
                + "SHA256SUMS`. Each sample's `metadata.jsonl` line (and its `KEY.json` in the shards) holds its "
                + "prompt, negative prompt, seed, labels, generation parameters, the model's sha256 and the file's "
                + "sha256: `diffusion-batch reproduce` makes any of them again, bit for bit.\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String name, @Nullable Double v) {
        b.append("| ").append(name).append(" | ").append(v == null ? "-" : num(v)).append(" |\n");
    }

    /** Six significant digits, without trailing zeros or exponent: 0.1, 16, 0.000119056. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
