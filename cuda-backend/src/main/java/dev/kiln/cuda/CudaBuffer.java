package dev.kiln.cuda;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import jcuda.driver.CUdeviceptr;

/** Device memory of one tensor: a block from the {@link DeviceAllocator}, possibly larger than needed. */
final class CudaBuffer implements DeviceBuffer {
    private final DType dtype;
    private final int elements;
    final DeviceAllocator.Block block;

    CudaBuffer(DType dtype, int elements, DeviceAllocator.Block block) {
        this.dtype = dtype;
        this.elements = elements;
        this.block = block;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int elements() {
        return elements;
    }

    /** The device address. */
    CUdeviceptr ptr() {
        return block.ptr();
    }

    /** The device address as a number (for the launch argument buffer). */
    long address() {
        return block.ptr().address();
    }

    /** The address of element {@code index} (4-byte elements). */
    CUdeviceptr at(int index) {
        return index == 0 ? block.ptr() : block.ptr().withByteOffset(4L * index);
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + dtype + " x " + elements + "]";
    }
}
