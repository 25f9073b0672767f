package io.diffusionbatch.energy;

/**
 * Measures the energy used between two points in time. Implementations are thread-safe; a
 * reading is an opaque value of the meter that made it.
 */
public interface EnergyMeter {

    /** The current reading (e.g. a cumulative counter in microjoules, or a time in nanoseconds). */
    long read();

    /** Joules used between two readings of this meter ({@code before} taken first). */
    double joulesBetween(long before, long after);

    /**
     * Where the figure comes from, stored with it: {@code measured:rapl} or
     * {@code estimated:NNW} (configured watts × elapsed time).
     */
    String source();

    /**
     * The model of the device whose energy this meter reads, when it knows it (NVML names its GPU);
     * empty otherwise.
     */
    default java.util.Optional<String> hardware() {
        return java.util.Optional.empty();
    }
}
