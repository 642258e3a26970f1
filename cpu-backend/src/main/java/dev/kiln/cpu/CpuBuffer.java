package dev.kiln.cpu;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;

/** The CPU backend's buffer: a plain Java array, {@code float[]} for F32 and {@code int[]} for I32. */
public final class CpuBuffer implements DeviceBuffer {
    private final DType dtype;
    private final float[] floats;
    private final int[] ints;

    CpuBuffer(DType dtype, int elements) {
        this.dtype = dtype;
        this.floats = dtype == DType.F32 ? new float[elements] : null;
        this.ints = dtype == DType.I32 ? new int[elements] : null;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int elements() {
        return dtype == DType.F32 ? floats.length : ints.length;
    }

    /** The float storage; only for F32 buffers. */
    float[] f() {
        return floats;
    }

    /** The int storage; only for I32 buffers. */
    int[] i() {
        return ints;
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + dtype + " x " + elements() + "]";
    }
}
