package io.diffusionbatch.energy;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * No counter: energy = configured power × elapsed wall time, labelled {@code estimated:NNW}.
 * Thread-safe.
 */
public final class EstimatedMeter implements EnergyMeter {

    private final double watts;
    private final LongSupplier nanoClock;

    public EstimatedMeter(double watts) {
        this(watts, System::nanoTime);
    }

    EstimatedMeter(double watts, LongSupplier nanoClock) {
        if (!(watts > 0) || Double.isInfinite(watts)) {
            throw new IllegalArgumentException("diffusion.energy.watts: must be a finite number > 0, was " + watts);
        }
        this.watts = watts;
        this.nanoClock = nanoClock;
    }

    @Override
    public long read() {
        return nanoClock.getAsLong();
    }

    @Override
    public double joulesBetween(long before, long after) {
        return watts * (after - before) / 1e9;
    }

    @Override
    public String source() {
        return String.format(Locale.ROOT, "estimated:%.0fW", watts);
    }
}
