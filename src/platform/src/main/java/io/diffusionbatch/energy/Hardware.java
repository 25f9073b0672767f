package io.diffusionbatch.energy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The model of the processor that runs the networks, as recorded with each item ({@code item_stats.hardware}):
 * the GPU's as its energy meter (NVML) names it, or the CPU's as Linux names it in {@code /proc/cpuinfo}.
 * Stateless and thread-safe.
 */
public final class Hardware {

    private static final Optional<String> CPU = cpuModel(Path.of("/proc/cpuinfo"));

    private Hardware() {
    }

    /**
     * What ran an item on {@code device} ({@code cpu}, {@code cuda:N}): the meter's GPU name for a CUDA
     * device (empty when the meter does not know it), the CPU's model otherwise (empty off Linux).
     */
    public static Optional<String> of(String device, EnergyMeter meter) {
        return device.startsWith("cuda") ? meter.hardware() : CPU;
    }

    /** The first {@code model name} of a cpuinfo file, e.g. {@code AMD EPYC 7B13}; empty when it has none. */
    static Optional<String> cpuModel(Path cpuinfo) {
        try {
            List<String> lines = Files.readAllLines(cpuinfo);
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
                    String name = line.substring(colon + 1).strip().replaceAll("\\s+", " ");
                    return name.isEmpty() ? Optional.empty() : Optional.of(name);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: unknown
        }
        return Optional.empty();
    }
}
