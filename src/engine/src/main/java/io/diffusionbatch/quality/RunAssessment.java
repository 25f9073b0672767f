package io.diffusionbatch.quality;

import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates the evaluator's readings of a run's items into its {@link RunQuality}: adherence
 * over the items whose prompt is a caption of the evaluator's world, FID over those drawn from
 * the reference statistics' distribution. Not thread-safe: one per run.
 */
public final class RunAssessment {

    private final FeatureStats reference;
    private final AdherenceTally tally = new AdherenceTally();
    private final List<float[]> fidFeatures = new ArrayList<>();
    private long assessed;

    /** @param reference real-image statistics for FID, or null (no FID) */
    public RunAssessment(FeatureStats reference) {
        this.reference = reference;
    }

    /**
     * Adds one item.
     *
     * @param label   what its prompt asks for, or null when the prompt is not a caption of the world
     * @param reading what the evaluator read off the item; not null
     * @return whether every prompted attribute was read as prompted; null when {@code label} is null
     */
    public Boolean add(LabeledPrompt label, ShapesEvaluator.Reading reading) {
        assessed++;
        if (label == null) {
            return null;
        }
        int before = tally.allRight();
        tally.add(label, reading.labels());
        if (reference != null && label.kind().equals("single") && !label.heldOut()) {
            fidFeatures.add(reading.features());
        }
        return tally.allRight() > before;
    }

    /** The adherence table by group and attribute ({@link AdherenceTally#table()}). */
    public String table() {
        return tally.table();
    }

    public RunQuality result() {
        int labelled = tally.total();
        Double fid = reference != null && fidFeatures.size() >= 2
                ? Fid.distance(FeatureStats.of(fidFeatures), reference) : null;
        return new RunQuality(assessed, labelled, tally.allRight(),
                labelled == 0 ? null : (double) tally.allRight() / labelled, fid,
                fid == null ? 0 : fidFeatures.size(), tally.summary());
    }
}
