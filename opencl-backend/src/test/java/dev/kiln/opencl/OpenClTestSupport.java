package dev.kiln.opencl;

import dev.kiln.testkit.BackendRequirement;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;


/** Opens the OpenCL device for tests, or skips with the probe's reason (fails instead under -Popencl). */
final class OpenClTestSupport {
    static final OpenClBackendProvider PROVIDER = new OpenClBackendProvider();

    private OpenClTestSupport() {
    }

    /** The device the tests run on ({@code -Dkiln.opencl.test.device=N}, default the first), or a skip. */
    static DeviceInfo deviceOrSkip() {
        ProbeResult r = PROVIDER.probe();
        if (!r.isAvailable()) {
            BackendRequirement.unavailable("opencl", r.reason());
        }
        int want = Integer.getInteger("kiln.opencl.test.device", r.devices().get(0).index());
        return r.devices().stream().filter(d -> d.index() == want).findFirst().orElseThrow();
    }

    static OpenClEngine open(OpenClEngine.GemmPath gemm) {
        return PROVIDER.open(deviceOrSkip(), new OpenClEngine.Options(gemm, null));
    }

    static DeviceBuffer up(OpenClEngine e, float[] data) {
        DeviceBuffer b = e.allocate(DType.F32, data.length);
        e.upload(data, 0, b, 0, data.length);
        return b;
    }

    static DeviceBuffer upInts(OpenClEngine e, int[] data) {
        DeviceBuffer b = e.allocate(DType.I32, data.length);
        e.upload(data, 0, b, 0, data.length);
        return b;
    }

    static float[] down(OpenClEngine e, DeviceBuffer b, int n) {
        float[] out = new float[n];
        e.download(b, 0, out, 0, n);
        return out;
    }

    static int[] downInts(OpenClEngine e, DeviceBuffer b, int n) {
        int[] out = new int[n];
        e.download(b, 0, out, 0, n);
        return out;
    }
}
