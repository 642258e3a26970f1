package dev.kiln.cpu;

import dev.kiln.core.Activation;
import dev.kiln.core.spi.DeviceBuffer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API elementwise loops give bit for bit the floats of their plain loops, on every
 * length (tails included), with the special values that decide the branch: NaN, -0, +0,
 * negatives, infinities, and with dx aliasing dy; the bias add and the bias gradient (column sums
 * in double, in row order) likewise, at the MLP's shapes and odd ones.
 */
class SimdElementwiseTest {
    private static final float[] SPECIAL = {Float.NaN, -0f, 0f, -1f, 1f, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffc00000)};

    @Test
    void reluBackwardMatchesThePlainLoop() {
        assertTrue(Simd.modulePresent(), "the tests run with jdk.incubator.vector");
        try (CpuEngine simd = TestSupport.engine(2, true); CpuEngine plain = TestSupport.engine(2, false)) {
            assertTrue(simd.simd());
            for (int n : new int[] {1, 7, 16, 17, 33, 64 * 128 + 5, 70_000}) {
                float[] y = TestSupport.random(n, n, -1f, 1f);
                float[] dy = TestSupport.random(n + 1, n, -3f, 3f);
                for (int i = 0; i < n; i += 3) {
                    y[i] = SPECIAL[(i / 3) % SPECIAL.length];
                }
                float[] expected = run(plain, y, dy, false);
                float[] got = run(simd, y, dy, false);
                float[] aliased = run(simd, y, dy, true);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]),
                            "n=" + n + " i=" + i + " y=" + y[i]);
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(aliased[i]),
                            "aliased n=" + n + " i=" + i);
                }
                assertEquals(dy[0], got[0], "NaN output passes its gradient");
                if (n > 3) {
                    assertEquals(0f, got[3], "-0 output stops it");
                }
            }
        }
    }

    private static float[] run(CpuEngine e, float[] y, float[] dy, boolean alias) {
        int n = y.length;
        DeviceBuffer yb = TestSupport.buf(e, y);
        DeviceBuffer dyb = TestSupport.buf(e, dy);
        DeviceBuffer dxb = alias ? dyb : TestSupport.buf(e, new float[n]);
        e.activationBackward(Activation.RELU, 0f, yb, yb, dyb, dxb, 1, n);
        float[] out = TestSupport.get(e, dxb, n);
        e.free(yb);
        e.free(dyb);
        if (!alias) {
            e.free(dxb);
        }
        return out;
    }

    @Test
    void biasAddAndBiasGradMatchThePlainLoops() {
        try (CpuEngine simd = TestSupport.engine(2, true); CpuEngine plain = TestSupport.engine(2, false)) {
            int[][] shapes = {{64, 128}, {64, 10}, {3, 7}, {1, 1}, {37, 129}, {600, 300}};
            for (int[] sh : shapes) {
                int rows = sh[0];
                int cols = sh[1];
                float[] x = TestSupport.random(rows * 31L + cols, rows * cols, -2f, 2f);
                float[] b = TestSupport.random(cols, cols, -1f, 1f);
                x[0] = Float.NaN;
                float[] addSimd = biasAdd(simd, x, b, rows, cols);
                float[] addPlain = biasAdd(plain, x, b, rows, cols);
                assertBits(addPlain, addSimd, "biasAdd " + rows + "x" + cols);
                for (float beta : new float[] {0f, 1f, 0.3f}) {
                    float[] db0 = TestSupport.random(cols + 5L, cols, -1f, 1f);
                    assertBits(biasGrad(plain, x, db0, rows, cols, beta), biasGrad(simd, x, db0, rows, cols, beta),
                            "biasGrad " + rows + "x" + cols + " beta " + beta);
                }
            }
        }
    }

    private static float[] biasAdd(CpuEngine e, float[] x, float[] b, int rows, int cols) {
        DeviceBuffer xb = TestSupport.buf(e, x);
        DeviceBuffer bb = TestSupport.buf(e, b);
        DeviceBuffer yb = TestSupport.buf(e, new float[x.length]);
        e.biasAdd(xb, bb, yb, rows, cols);
        float[] y = TestSupport.get(e, yb, x.length);
        e.free(xb);
        e.free(bb);
        e.free(yb);
        return y;
    }

    private static float[] biasGrad(CpuEngine e, float[] dy, float[] db0, int rows, int cols, float beta) {
        DeviceBuffer dyb = TestSupport.buf(e, dy);
        DeviceBuffer dbb = TestSupport.buf(e, db0);
        e.biasGrad(dyb, dbb, rows, cols, beta);
        float[] db = TestSupport.get(e, dbb, cols);
        e.free(dyb);
        e.free(dbb);
        return db;
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                    what + " [" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }
}
