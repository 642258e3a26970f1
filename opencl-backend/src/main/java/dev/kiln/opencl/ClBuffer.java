package dev.kiln.opencl;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import org.jocl.cl_mem;

/** An OpenCL buffer handed out by {@link OpenClEngine}: a pooled {@code cl_mem} of at least {@code elements} values. */
final class ClBuffer implements DeviceBuffer {
    final cl_mem mem;
    final long capacityBytes;
    private final DType dtype;
    private final int elements;

    ClBuffer(cl_mem mem, long capacityBytes, DType dtype, int elements) {
        this.mem = mem;
        this.capacityBytes = capacityBytes;
        this.dtype = dtype;
        this.elements = elements;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int elements() {
        return elements;
    }

    @Override
    public String toString() {
        return "ClBuffer[" + dtype + " x " + elements + ", " + capacityBytes + " B]";
    }
}
