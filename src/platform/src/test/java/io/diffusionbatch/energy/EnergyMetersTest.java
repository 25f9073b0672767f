package io.diffusionbatch.energy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class EnergyMetersTest {

    private static void domain(Path powercap, String name, long uj, long range) throws Exception {
        Path d = Files.createDirectories(powercap.resolve(name));
        Files.writeString(d.resolve("energy_uj"), uj + "\n");
        Files.writeString(d.resolve("max_energy_range_uj"), range + "\n");
    }

    @Test
    void raplSumsThePackageCountersAndUnwrapsAWrap(@TempDir Path powercap) throws Exception {
        domain(powercap, "intel-rapl:0", 1_000_000, 262_143_328_850L);
        domain(powercap, "intel-rapl:1", 2_000_000, 262_143_328_850L);
        domain(powercap, "intel-rapl:0:0", 999, 1000); // a sub-domain (core): not counted twice
        RaplMeter m = RaplMeter.open(powercap).orElseThrow();
        long a = m.read();
        assertThat(a).isEqualTo(3_000_000);
        Files.writeString(powercap.resolve("intel-rapl:0/energy_uj"), "3500000");
        assertThat(m.joulesBetween(a, m.read())).isCloseTo(2.5, within(1e-12));
        assertThat(m.source()).isEqualTo("measured:rapl");
        // one counter wrapped: after < before, corrected by the range
        assertThat(m.joulesBetween(524_286_000_000L, 10_000_000)).isCloseTo((524_286_657_700L - 524_286_000_000L + 10_000_000) / 1e6, within(1e-6));
    }

    @Test
    void withoutReadableCountersAutoFallsBackToTheEstimate(@TempDir Path empty) {
        assertThat(RaplMeter.open(empty.resolve("missing"))).isEmpty();
        EnergyMeter m = EnergyMeters.choose("auto", 30, empty);
        assertThat(m).isInstanceOf(EstimatedMeter.class);
        assertThat(m.source()).isEqualTo("estimated:30W");
        assertThatThrownBy(() -> EnergyMeters.choose("rapl", 30, empty)).hasMessageContaining("diffusion.energy.source");
        assertThatThrownBy(() -> EnergyMeters.choose("nvml?", 30, empty)).hasMessageContaining("auto, nvml, rapl or estimate");
        assertThatThrownBy(() -> new EstimatedMeter(0)).hasMessageContaining("diffusion.energy.watts");
    }

    @Test
    void theEstimateIsWattsTimesSeconds() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        EstimatedMeter m = new EstimatedMeter(40, now::get);
        long a = m.read();
        now.addAndGet(2_500_000_000L);
        assertThat(m.joulesBetween(a, m.read())).isCloseTo(100.0, within(1e-9));
    }
}
