package io.diffusionbatch.quality;

import java.util.Map;

/**
 * A run's quality as judged by an evaluator. Null figures could not be computed.
 *
 * @param assessed   outputs the evaluator read
 * @param labelled   of those, items whose prompt the evaluator can check (captions of its world)
 * @param adherent   of those, items with every prompted attribute read as prompted
 * @param adherence  adherent / labelled; null when nothing was labelled
 * @param fid        Fréchet distance of the features of the items drawn from the reference's
 *                   distribution (single-object, not held-out prompts) to the reference statistics;
 *                   null with fewer than two such items or no reference (videos)
 * @param fidItems   items in the FID
 * @param byGroup    group (single, pair, video; "held-out" appended) → n, all, per-head shares
 */
public record RunQuality(long assessed, long labelled, long adherent, Double adherence, Double fid, int fidItems,
                         Map<String, Map<String, Object>> byGroup) {

    public RunQuality {
        byGroup = Map.copyOf(byGroup);
    }
}
