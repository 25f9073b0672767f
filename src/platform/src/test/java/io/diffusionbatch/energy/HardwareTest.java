package io.diffusionbatch.energy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The processor model recorded with each item: the CPU's from cpuinfo, the GPU's from its meter. */
class HardwareTest {

    @Test
    void theCpuModelIsTheFirstModelNameOfCpuinfo(@TempDir Path dir) throws Exception {
        Path info = Files.writeString(dir.resolve("cpuinfo"), """
                processor\t: 0
                vendor_id\t: AuthenticAMD
                model\t\t: 1
                model name\t: AMD EPYC   7B13 64-Core Processor
                processor\t: 1
                model name\t: Other
                """);
        assertThat(Hardware.cpuModel(info)).contains("AMD EPYC 7B13 64-Core Processor");
        assertThat(Hardware.cpuModel(Files.writeString(dir.resolve("arm"), "processor\t: 0\nBogoMIPS\t: 50\n"))).isEmpty();
        assertThat(Hardware.cpuModel(dir.resolve("missing"))).isEmpty();
    }

    @Test
    void aCudaDeviceIsNamedByItsMeterAndTheCpuByTheSystem() {
        EnergyMeter gpu = new EnergyMeter() {
            public long read() {
                return 0;
            }

            public double joulesBetween(long before, long after) {
                return 0;
            }

            public String source() {
                return "measured:nvml:gpu0";
            }

            public Optional<String> hardware() {
                return Optional.of("NVIDIA H100 80GB HBM3");
            }
        };
        assertThat(Hardware.of("cuda:0", gpu)).contains("NVIDIA H100 80GB HBM3");
        assertThat(Hardware.of("cuda:0", new EstimatedMeter(30))).as("an estimate knows no GPU").isEmpty();
        assertThat(Hardware.of("cpu", gpu)).isEqualTo(Hardware.cpuModel(Path.of("/proc/cpuinfo")));
    }
}
