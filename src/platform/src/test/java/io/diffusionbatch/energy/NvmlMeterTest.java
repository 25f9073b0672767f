package io.diffusionbatch.energy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The NVML meter's arithmetic on a counter, and its absence handled on machines without the NVIDIA
 * driver (CI). On a GPU machine {@code open} returns a meter: that path is exercised by the GPU runs
 * recorded in docs/BENCHMARKS.md, not here.
 */
class NvmlMeterTest {

    @Test
    void joulesAreMillijouleCounterDifferences() {
        AtomicLong mj = new AtomicLong(5_000_000_123L);
        NvmlMeter m = new NvmlMeter(mj::get, 1, "NVIDIA L4");
        long before = m.read();
        mj.addAndGet(2_500);
        assertThat(m.joulesBetween(before, m.read())).isEqualTo(2.5);
        assertThat(m.source()).isEqualTo("measured:nvml:gpu1");
        assertThat(m.hardware()).as("the GPU's model, recorded with each item").contains("NVIDIA L4");
        assertThat(new NvmlMeter(mj::get, 0, null).hardware()).isEmpty();
    }

    @Test
    void withoutTheDriverAutoFallsBackAndNvmlIsRefusedWithTheReason() {
        String[] why = new String[1];
        if (NvmlMeter.open(0, why).isPresent()) {
            return; // a GPU machine: nothing to check here
        }
        assertThat(why[0]).isNotBlank();
        Path none = Path.of("/nonexistent-powercap");
        assertThat(EnergyMeters.choose("auto", 30, none, "cuda").source()).isEqualTo("estimated:30W");
        assertThatThrownBy(() -> EnergyMeters.choose("nvml", 30, none, "cuda"))
                .hasMessageStartingWith("diffusion.energy.source: nvml asked for, but ");
    }

    @Test
    void gpuIndexOfTheDevice() {
        assertThat(EnergyMeters.gpuIndex("cpu")).isEqualTo(-1);
        assertThat(EnergyMeters.gpuIndex("cuda")).isZero();
        assertThat(EnergyMeters.gpuIndex("cuda:3")).isEqualTo(3);
        assertThat(EnergyMeters.gpuIndex(null)).isEqualTo(-1);
    }
}
