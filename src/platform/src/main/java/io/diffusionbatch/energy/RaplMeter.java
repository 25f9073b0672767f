package io.diffusionbatch.energy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Intel RAPL through Linux powercap: the sum of the package domains' cumulative
 * {@code energy_uj} counters ({@code /sys/class/powercap/intel-rapl:N}), each unwrapped with its
 * {@code max_energy_range_uj}. A reading packs nothing: it is the sum in microjoules, and a wrap
 * between two readings is corrected for one wrap per domain. Thread-safe.
 */
public final class RaplMeter implements EnergyMeter {

    private final List<Path> counters;
    private final long range;

    private RaplMeter(List<Path> counters, long range) {
        this.counters = counters;
        this.range = range;
    }

    /**
     * The package domains under {@code powercap} (normally {@code /sys/class/powercap}) whose
     * counters this process can read, or empty.
     */
    public static Optional<RaplMeter> open(Path powercap) {
        if (!Files.isDirectory(powercap)) {
            return Optional.empty();
        }
        List<Path> found = new ArrayList<>();
        long range = 0;
        try (Stream<Path> s = Files.list(powercap)) {
            for (Path d : s.sorted().toList()) {
                String name = d.getFileName().toString();
                // packages are intel-rapl:N; their sub-domains intel-rapl:N:M are inside them
                if (name.matches("intel-rapl:\\d+") && Files.isReadable(d.resolve("energy_uj"))) {
                    readLong(d.resolve("energy_uj"));
                    found.add(d.resolve("energy_uj"));
                    range += readLong(d.resolve("max_energy_range_uj"));
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return Optional.empty();
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(new RaplMeter(found, range));
    }

    @Override
    public long read() {
        long sum = 0;
        for (Path p : counters) {
            sum += readLong(p);
        }
        return sum;
    }

    @Override
    public double joulesBetween(long before, long after) {
        long d = after - before;
        if (d < 0) {
            d += range; // a counter wrapped
        }
        return d / 1e6;
    }

    @Override
    public String source() {
        return "measured:rapl";
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
