package dev.kiln.cpu;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;

import java.util.Map;
import java.util.SplittableRandom;

/** Shared helpers: engines with a chosen thread count and SIMD setting, buffers from arrays, random data. */
final class TestSupport {
    static final DeviceInfo DEVICE = new DeviceInfo("cpu", 0, "test", DeviceType.CPU, 0, Map.of());

    private TestSupport() {
    }

    static CpuEngine engine(int threads, boolean simd) {
        return new CpuEngine(DEVICE, threads, simd);
    }

    static DeviceBuffer buf(CpuEngine e, float[] data) {
        DeviceBuffer b = e.allocate(DType.F32, data.length);
        e.upload(data, 0, b, 0, data.length);
        return b;
    }

    static DeviceBuffer ints(CpuEngine e, int[] data) {
        DeviceBuffer b = e.allocate(DType.I32, data.length);
        e.upload(data, 0, b, 0, data.length);
        return b;
    }

    static float[] get(CpuEngine e, DeviceBuffer b, int n) {
        float[] out = new float[n];
        e.download(b, 0, out, 0, n);
        return out;
    }

    static int[] getInts(CpuEngine e, DeviceBuffer b, int n) {
        int[] out = new int[n];
        e.download(b, 0, out, 0, n);
        return out;
    }

    static float[] random(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    /** Asserts |actual - expected| <= atol + rtol |expected| for every element. */
    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            assertClose(expected[i], actual[i], atol, rtol, what + "[" + i + "]");
        }
    }

    static void assertClose(double expected, float actual, double atol, double rtol, String what) {
        if (Double.isNaN(expected) && Float.isNaN(actual)) {
            return;
        }
        if (expected == actual) {
            return;
        }
        double err = Math.abs(actual - expected);
        if (!(err <= atol + rtol * Math.abs(expected))) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual + " (error " + err + ")");
        }
    }
}
