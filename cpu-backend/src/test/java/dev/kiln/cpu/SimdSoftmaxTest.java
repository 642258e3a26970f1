package dev.kiln.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Softmax, log-softmax and softmax-cross-entropy with SIMD exponentials ({@link VectorLosses})
 * against the double-precision loops: within a quarter of the conformance bound
 * {@code 1e-6 + 1e-5 |r|}, for row lengths from 1 to beyond one exponentiation block, with label
 * smoothing; the same NaN and infinities; and the same bits however the rows are split.
 */
class SimdSoftmaxTest {
    @Test
    void agreesWithTheDoubleLoops() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int cols : new int[] {1, 2, 10, 17, 100, 1000, 5000}) {
            int rows = Math.max(3, 20_000 / cols);
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 8);
            }
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) {
                labels[r] = rnd.nextInt(cols);
            }
            for (boolean log : new boolean[] {false, true}) {
                float[] plain = new float[x.length];
                float[] simd = new float[x.length];
                Activations.softmaxRows(log, x, plain, cols, 0, rows);
                VectorLosses.softmaxRows(log, x, simd, cols, 0, rows);
                for (int i = 0; i < x.length; i++) {
                    assertWithin((log ? "log-softmax" : "softmax") + " cols " + cols + " at " + i, plain[i], simd[i]);
                }
            }
            for (float smoothing : new float[] {0f, 0.1f}) {
                float[] gPlain = new float[x.length];
                float[] gSimd = new float[x.length];
                double lPlain = Losses.softmaxCrossEntropyRows(x, labels, gPlain, cols, smoothing, 1.0 / rows, 0, rows);
                double lSimd = VectorLosses.softmaxCrossEntropyRows(x, labels, gSimd, cols, smoothing, 1.0 / rows, 0,
                        rows);
                double bound = 0.25 * (1e-6 * rows + 1e-5 * Math.abs(lPlain));
                assertTrue(Math.abs(lSimd - lPlain) <= bound,
                        "loss cols " + cols + ": " + lSimd + " vs " + lPlain + ", bound " + bound);
                for (int i = 0; i < x.length; i++) {
                    assertWithin("gradient cols " + cols + " ls " + smoothing + " at " + i, gPlain[i], gSimd[i]);
                }
            }
        }
    }

    @Test
    void specialRowsAndSplitsGiveWhatTheyShould() {
        int cols = 10;
        float[] x = TestSupport.random(9, 7 * cols, -5f, 5f);
        x[3] = Float.NaN;                      // row 0: NaN everywhere
        x[cols + 2] = Float.POSITIVE_INFINITY; // row 1: +inf - +inf is NaN, as in the double loop
        for (int j = 0; j < cols; j++) {
            x[2 * cols + j] = Float.NEGATIVE_INFINITY; // row 2: all -inf
        }
        x[3 * cols + 4] = Float.NEGATIVE_INFINITY;    // row 3: one -inf: probability 0
        x[4 * cols + 1] = 3e38f;                      // row 4: huge logits shift safely
        int[] labels = {0, 1, 2, 3, 4, 5, 6};
        float[] plain = new float[x.length];
        float[] simd = new float[x.length];
        Activations.softmaxRows(false, x, plain, cols, 0, 7);
        VectorLosses.softmaxRows(false, x, simd, cols, 0, 7);
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(plain[i])) {
                assertTrue(Float.isNaN(simd[i]), "NaN at " + i);
            } else {
                assertWithin("softmax at " + i, plain[i], simd[i]);
            }
        }
        float[] g1 = new float[x.length];
        float[] g2 = new float[x.length];
        double whole = VectorLosses.softmaxCrossEntropyRows(x, labels, g1, cols, 0f, 1.0, 3, 7);
        double split = VectorLosses.softmaxCrossEntropyRows(x, labels, g2, cols, 0f, 1.0, 3, 5)
                + VectorLosses.softmaxCrossEntropyRows(x, labels, g2, cols, 0f, 1.0, 5, 7);
        assertEquals(whole, split, Math.ulp(whole) * 2, "a sum of the same row terms");
        for (int i = 3 * cols; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(g1[i]), Float.floatToRawIntBits(g2[i]), "gradient at " + i);
        }
        assertTrue(Double.isNaN(VectorLosses.softmaxCrossEntropyRows(x, labels, null, cols, 0f, 1.0, 0, 1)));
    }

    private static void assertWithin(String what, float plain, float simd) {
        double bound = 0.25 * (1e-6 + 1e-5 * Math.abs(plain));
        assertTrue(Math.abs((double) simd - plain) <= bound, () -> what + ": simd " + simd + ", double " + plain);
    }
}
