package dev.kiln.core.spi;

import dev.kiln.core.DType;

/**
 * A backend's handle to the memory of one tensor: {@code elements} values of {@code dtype},
 * contiguous. Each engine makes and consumes only its own buffer class; the front door never
 * passes one engine's buffer to another.
 */
public interface DeviceBuffer {
    DType dtype();

    int elements();
}
