package dev.kiln.testkit;

import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;

/**
 * A test-only engine that forwards every call to a {@link ReferenceEngine} under its own backend
 * name; subclasses break or round one op to play a faulty or a float32 backend.
 */
class ForwardingEngine extends DelegatingEngine {
    private final DeviceInfo device;

    ForwardingEngine(String name) {
        super(new ReferenceEngine());
        device = new DeviceInfo(name, 0, "test engine " + name, DeviceType.CPU, 0, null);
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    /** Rounds a float32 buffer's first {@code n} values to float, as a float32 backend stores them. */
    void round(DeviceBuffer b, int n) {
        if (b == null) {
            return;
        }
        float[] f = new float[n];
        delegate.download(b, 0, f, 0, n);
        delegate.upload(f, 0, b, 0, n);
    }

}
