package io.diffusionbatch.energy;

import java.util.Optional;

import java.nio.file.Path;

/**
 * Chooses the meter: {@code auto} (NVML when the job runs on a CUDA GPU and NVML answers, else RAPL
 * if readable, else estimate), {@code nvml}, {@code rapl} or {@code estimate}.
 */
public final class EnergyMeters {

    private EnergyMeters() {
    }

    /** {@link #choose(String, double, Path, String)} for work on the CPU. */
    public static EnergyMeter choose(String source, double watts, Path powercap) {
        return choose(source, watts, powercap, "cpu");
    }

    /**
     * @param device the job's device ({@code cpu}, {@code cuda} or {@code cuda:N}): NVML is tried for CUDA only
     * @throws IllegalArgumentException naming the setting when {@code source} is unknown or
     *                                  {@code nvml} / {@code rapl} is asked for but not readable
     */
    public static EnergyMeter choose(String source, double watts, Path powercap, String device) {
        String[] why = new String[1];
        int gpu = gpuIndex(device);
        return switch (source == null ? "auto" : source) {
            case "auto" -> (gpu >= 0 ? NvmlMeter.open(gpu, why).<EnergyMeter>map(m -> m) : Optional.<EnergyMeter>empty())
                    .or(() -> RaplMeter.open(powercap).map(m -> m))
                    .orElseGet(() -> new EstimatedMeter(watts));
            case "nvml" -> NvmlMeter.open(Math.max(gpu, 0), why).orElseThrow(() -> new IllegalArgumentException(
                    "diffusion.energy.source: nvml asked for, but " + why[0]));
            case "rapl" -> RaplMeter.open(powercap).orElseThrow(() -> new IllegalArgumentException(
                    "diffusion.energy.source: rapl asked for, but no readable counter under " + powercap));
            case "estimate" -> new EstimatedMeter(watts);
            default -> throw new IllegalArgumentException(
                    "diffusion.energy.source: must be auto, nvml, rapl or estimate, was '" + source + "'");
        };
    }

    /** The GPU index of {@code cuda} (0) or {@code cuda:N}; -1 for other devices. */
    static int gpuIndex(String device) {
        if (device == null || !device.startsWith("cuda")) {
            return -1;
        }
        if (device.equals("cuda")) {
            return 0;
        }
        try {
            return Integer.parseInt(device.substring(device.indexOf(':') + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            return 0;
        }
    }
}
