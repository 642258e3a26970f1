package dev.kiln.cpu;

import dev.kiln.core.Activation;
import dev.kiln.core.spi.DeviceBuffer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API elementwise loops give bit for bit the floats of their plain loops, on every
 * length (tails included), with the special values that decide the branch: NaN, -0, +0,
 * negatives, infinities, and with dx aliasing dy.
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
}
