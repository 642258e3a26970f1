package dev.kiln.opencl;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Opens the OpenCL device for tests, or skips with the probe's reason (fails instead under -Popencl). */
final class OpenClTestSupport {
    static final OpenClBackendProvider PROVIDER = new OpenClBackendProvider();

    private OpenClTestSupport() {
    }

    /** True when {@code kiln.require.backends} names opencl: absence is then a failure, not a skip. */
    static boolean required() {
        return System.getProperty("kiln.require.backends", "").toLowerCase().contains("opencl");
    }

    /** The device the tests run on ({@code -Dkiln.opencl.test.device=N}, default the first), or a skip. */
    static DeviceInfo deviceOrSkip() {
        ProbeResult r = PROVIDER.probe();
        if (!r.isAvailable()) {
            if (required()) {
                fail("OpenCL is required (kiln.require.backends) but unavailable: " + r.reason());
            }
            assumeTrue(false, "OpenCL unavailable: " + r.reason());
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
