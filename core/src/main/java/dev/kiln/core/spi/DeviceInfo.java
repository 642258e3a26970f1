package dev.kiln.core.spi;

import java.util.Map;

/**
 * One device a backend can run on, as its probe found it.
 *
 * @param backend    the backend's name, like {@code opencl}
 * @param index      the device's index within that backend, as used in {@code opencl:1}
 * @param name       a human name, like {@code pthread-AMD EPYC 9R14}
 * @param type       GPU, CPU, ...
 * @param memoryBytes global memory in bytes, or 0 when unknown
 * @param properties further facts for {@code kiln info}, in display order
 */
public record DeviceInfo(String backend, int index, String name, DeviceType type, long memoryBytes,
                         Map<String, String> properties) {
    public DeviceInfo {
        properties = properties == null ? Map.of() : java.util.Collections.unmodifiableMap(
                new java.util.LinkedHashMap<>(properties));
    }

    /** Like {@code opencl:1}. */
    public String spec() {
        return backend + ":" + index;
    }
}
