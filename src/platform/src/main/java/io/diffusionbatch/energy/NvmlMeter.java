package io.diffusionbatch.energy;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * An NVIDIA GPU's cumulative energy counter, read through NVML ({@code libnvidia-ml}, installed
 * with the driver) with JNA: {@code nvmlDeviceGetTotalEnergyConsumption}, millijoules since the
 * driver was loaded (Volta and newer). A reading is the counter in millijoules. Thread-safe (NVML
 * is thread-safe once initialised).
 */
public final class NvmlMeter implements EnergyMeter {

    /** The part of NVML's C API used here. */
    interface Nvml extends Library {
        int nvmlInit_v2();

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        int nvmlDeviceGetTotalEnergyConsumption(Pointer device, LongByReference millijoules);

        String nvmlErrorString(int result);

        int nvmlDeviceGetName(Pointer device, byte[] name, int length);
    }

    private final LongSupplier counter;
    private final int device;
    private final String name;

    NvmlMeter(LongSupplier counter, int device, String name) {
        this.counter = counter;
        this.device = device;
        this.name = name;
    }

    /**
     * Opens GPU {@code index}'s counter.
     *
     * @return the meter, or empty with the reason in {@code why[0]} when NVML is absent, the GPU
     *         does not exist, or its counter is not supported
     */
    public static Optional<NvmlMeter> open(int index, String[] why) {
        Nvml nvml;
        try {
            nvml = Native.load("nvidia-ml", Nvml.class);
        } catch (UnsatisfiedLinkError e) {
            why[0] = "NVML (libnvidia-ml) not found: " + e.getMessage();
            return Optional.empty();
        }
        int rc = nvml.nvmlInit_v2();
        if (rc != 0) {
            why[0] = "nvmlInit: " + nvml.nvmlErrorString(rc);
            return Optional.empty();
        }
        PointerByReference handle = new PointerByReference();
        rc = nvml.nvmlDeviceGetHandleByIndex_v2(index, handle);
        if (rc != 0) {
            why[0] = "nvmlDeviceGetHandleByIndex(" + index + "): " + nvml.nvmlErrorString(rc);
            return Optional.empty();
        }
        Pointer dev = handle.getValue();
        LongByReference mj = new LongByReference();
        rc = nvml.nvmlDeviceGetTotalEnergyConsumption(dev, mj);
        if (rc != 0) {
            why[0] = "nvmlDeviceGetTotalEnergyConsumption: " + nvml.nvmlErrorString(rc);
            return Optional.empty();
        }
        byte[] name = new byte[96]; // NVML_DEVICE_NAME_V2_BUFFER_SIZE
        String model = nvml.nvmlDeviceGetName(dev, name, name.length) == 0
                ? Native.toString(name, "UTF-8").strip() : null;
        return Optional.of(new NvmlMeter(() -> {
            LongByReference v = new LongByReference();
            int r = nvml.nvmlDeviceGetTotalEnergyConsumption(dev, v);
            if (r != 0) {
                throw new IllegalStateException("NVML: nvmlDeviceGetTotalEnergyConsumption: " + nvml.nvmlErrorString(r));
            }
            return v.getValue();
        }, index, model));
    }

    @Override
    public long read() {
        return counter.getAsLong();
    }

    /** The counter is 64-bit millijoules since driver load: it does not wrap in practice. */
    @Override
    public double joulesBetween(long before, long after) {
        return (after - before) / 1000.0;
    }

    @Override
    public String source() {
        return "measured:nvml:gpu" + device;
    }

    /** The GPU's model as NVML names it, e.g. {@code NVIDIA H100 80GB HBM3}. */
    @Override
    public Optional<String> hardware() {
        return Optional.ofNullable(name).filter(n -> !n.isEmpty());
    }
}
