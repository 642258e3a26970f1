package dev.kiln.core.spi;

/** What kind of processor a device is; selection ranks GPUs above CPUs. */
public enum DeviceType {
    GPU, CPU, ACCELERATOR, OTHER
}
