package dev.kiln.cpu;

import dev.kiln.core.Activation;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIMD transcendental activations ({@link VectorActivations}: float, SVML's exp/tanh/log1p)
 * against the plain double-precision loops ({@link Activations}), forward and backward: on a dense
 * sweep of [-30, 30] plus Gaussian inputs the error stays within a quarter of the conformance bound
 * {@code 1e-6 + 1e-5 |r|} (measured: at most 0.11 of it, the erf GELU's gradient near its zero at
 * x = -0.75, where Phi(x) + x phi(x) cancels), NaN and infinities give what the plain
 * loops give, and a result does not depend on where a range starts or ends (the last partial
 * vector takes the same code), so thread counts cannot change it; nor does the JIT: the interpreter
 * (the Vector API's Java fallbacks) gives the bits C2's compiled loops give.
 */
class SimdActivationTest {
    private static final Activation[] ACTS = ColdSimdMain.ACTS;

    @Test
    void agreesWithTheDoubleLoopsWithinAQuarterOfTheBound() {
        int n = 400_003;
        float[] x = new float[n];
        float[] dy = new float[n];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < n; i++) {
            x[i] = i < n / 2 ? (float) (-30 + 60.0 * i / (n / 2)) : (float) (r.nextGaussian() * 3);
            dy[i] = (float) r.nextDouble(-2, 2);
        }
        for (Activation act : ACTS) {
            assertTrue(VectorActivations.handles(act));
            float[] yPlain = new float[n];
            float[] ySimd = new float[n];
            float[] dxPlain = new float[n];
            float[] dxSimd = new float[n];
            Activations.forward(act, 0f, x, yPlain, 0, n);
            VectorActivations.forward(act, x, ySimd, 0, n);
            Activations.backward(act, 0f, x, yPlain, dy, dxPlain, 0, n);
            VectorActivations.backward(act, x, yPlain, dy, dxSimd, 0, n);
            for (int i = 0; i < n; i++) {
                assertWithin(act + " forward", x[i], yPlain[i], ySimd[i]);
                assertWithin(act + " backward", x[i], dxPlain[i], dxSimd[i]);
            }
        }
    }

    @Test
    void specialValuesGiveWhatThePlainLoopsGive() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 88f, -88f, 1e-30f,
            -1e-30f, 20f, 20.5f, -20f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};
        float[] ones = new float[x.length];
        java.util.Arrays.fill(ones, 1f);
        for (Activation act : ACTS) {
            float[] yPlain = new float[x.length];
            float[] ySimd = new float[x.length];
            float[] dxPlain = new float[x.length];
            float[] dxSimd = new float[x.length];
            Activations.forward(act, 0f, x, yPlain, 0, x.length);
            VectorActivations.forward(act, x, ySimd, 0, x.length);
            Activations.backward(act, 0f, x, yPlain, ones, dxPlain, 0, x.length);
            VectorActivations.backward(act, x, yPlain, ones, dxSimd, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                if (Float.isNaN(yPlain[i]) || Float.isInfinite(yPlain[i])) {
                    assertEquals(yPlain[i], ySimd[i], act + " forward at " + x[i]);
                } else {
                    assertWithin(act + " forward", x[i], yPlain[i], ySimd[i]);
                }
                if (Float.isNaN(dxPlain[i]) || Float.isInfinite(dxPlain[i])) {
                    assertEquals(dxPlain[i], dxSimd[i], act + " backward at " + x[i]);
                } else if (Math.abs(x[i]) < 1e30) {
                    assertWithin(act + " backward", x[i], dxPlain[i], dxSimd[i]);
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheRangeBoundariesAndDxMayBeDy() {
        int n = 1000;
        float[] x = TestSupport.random(3, n, -6f, 6f);
        float[] dy = TestSupport.random(4, n, -1f, 1f);
        for (Activation act : ACTS) {
            float[] whole = new float[n];
            VectorActivations.forward(act, x, whole, 0, n);
            float[] pieces = new float[n];
            for (int from = 0; from < n; ) {
                int to = Math.min(n, from + 1 + (from * 7) % 37); // ragged pieces, most not vector-aligned
                VectorActivations.forward(act, x, pieces, from, to);
                from = to;
            }
            float[] inPlace = x.clone();
            VectorActivations.forward(act, inPlace, inPlace, 0, n);
            float[] dxWhole = new float[n];
            VectorActivations.backward(act, x, whole, dy, dxWhole, 0, n);
            float[] dxAliased = dy.clone();
            for (int from = 0; from < n; from += 13) {
                VectorActivations.backward(act, x, whole, dxAliased, dxAliased, from, Math.min(n, from + 13));
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(pieces[i]), act + " at " + i);
                assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(inPlace[i]), act + " in place");
                assertEquals(Float.floatToRawIntBits(dxWhole[i]), Float.floatToRawIntBits(dxAliased[i]),
                        act + " dx = dy at " + i);
            }
        }
    }

    @Test
    void theInterpreterGivesTheBitsOfTheCompiledLoops() throws Exception {
        for (int i = 0; i < 3000; i++) {
            ColdSimdMain.checksum(); // until C2 has compiled the loops
        }
        String compiled = Long.toHexString(ColdSimdMain.checksum());
        String interpreted = CpuBackendProviderTest.runChild(
                java.util.List.of("--add-modules", "jdk.incubator.vector", "-Xint"), ColdSimdMain.class);
        assertTrue(interpreted.contains("checksum=" + compiled), "C2: " + compiled + ", -Xint: " + interpreted);
    }

    @Test
    void softplusKeepsThePlainLoop() {
        assertTrue(!VectorActivations.handles(Activation.SOFTPLUS) && !VectorActivations.handles(Activation.RELU));
    }

    /** |simd - plain| within a quarter of the conformance bound 1e-6 + 1e-5 |plain|. */
    private static void assertWithin(String what, float x, float plain, float simd) {
        double bound = 0.25 * (1e-6 + 1e-5 * Math.abs(plain));
        assertTrue(Math.abs((double) simd - plain) <= bound,
                () -> what + " at x=" + x + ": simd " + simd + ", double loop " + plain + ", bound " + bound);
    }
}
