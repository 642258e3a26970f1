package dev.kiln.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link CUdeviceptr} whose address Kiln can read: {@code cuMemAlloc} writes the address into
 * whatever CUdeviceptr it is given, and this subclass exposes it, so that kernel launches can put
 * device addresses into a reused argument buffer instead of wrapping each one in a new
 * {@code Pointer} (see {@link CudaEngine#launch}).
 */
final class DevicePtr extends CUdeviceptr {
    /** The raw device address (0 until allocated). */
    long address() {
        return getNativePointer();
    }
}
