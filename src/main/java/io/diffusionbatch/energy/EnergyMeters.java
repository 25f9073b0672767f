package io.diffusionbatch.energy;

import java.nio.file.Path;

/** Chooses the meter: {@code auto} (RAPL if readable, else estimate), {@code rapl} or {@code estimate}. */
public final class EnergyMeters {

    private EnergyMeters() {
    }

    /**
     * @throws IllegalArgumentException naming the setting when {@code source} is unknown or
     *                                  {@code rapl} is asked for but not readable
     */
    public static EnergyMeter choose(String source, double watts, Path powercap) {
        return switch (source == null ? "auto" : source) {
            case "auto" -> RaplMeter.open(powercap).<EnergyMeter>map(m -> m).orElseGet(() -> new EstimatedMeter(watts));
            case "rapl" -> RaplMeter.open(powercap).orElseThrow(() -> new IllegalArgumentException(
                    "diffusion.energy.source: rapl asked for, but no readable counter under " + powercap));
            case "estimate" -> new EstimatedMeter(watts);
            default -> throw new IllegalArgumentException(
                    "diffusion.energy.source: must be auto, rapl or estimate, was '" + source + "'");
        };
    }
}
