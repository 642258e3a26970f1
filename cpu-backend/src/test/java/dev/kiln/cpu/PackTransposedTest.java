package dev.kiln.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GEMM's transposing pack: the SIMD version ({@link VectorTranspose}) writes exactly what the
 * plain loop writes, element by element (zero padding included), and nothing outside its block,
 * for every panel width the kernels use, every row count up to the width, and step counts around
 * the vector length.
 */
class PackTransposedTest {
    private static final float GUARD = -12345f;

    @Test
    void simdPackMatchesThePlainLoopAndStaysInsideItsBlock() {
        assertTrue(Simd.modulePresent(), "the tests run with jdk.incubator.vector");
        GemmKernel plain = new ScalarGemmKernel();
        GemmKernel simd = new VectorGemmKernel();
        int lanes = VectorSupport.floatLanes();
        int[] widths = {VectorGemmKernel.MR, VectorGemmKernel.NR, 8, 6, lanes, 2 * lanes, 1, 3};
        int[] kcs = {1, 2, lanes - 1, lanes, lanes + 1, 2 * lanes, 2 * lanes + 1, 3 * lanes - 1, 100, 262};
        int ld = 300;
        float[] src = TestSupport.random(7, 40 * ld, -1f, 1f);
        int cases = 0;
        for (int width : widths) {
            for (int rows = 0; rows <= width; rows++) {
                for (int kc : kcs) {
                    int srcOff = 3 + rows; // not aligned to anything
                    int pad = 2 * width + 40;
                    int dstOff = pad;
                    float[] want = filled(kc * width + 2 * pad);
                    float[] got = filled(kc * width + 2 * pad);
                    plain.packTransposed(src, srcOff, ld, rows, kc, want, dstOff, width);
                    simd.packTransposed(src, srcOff, ld, rows, kc, got, dstOff, width);
                    for (int i = 0; i < got.length; i++) {
                        boolean inside = i >= dstOff && i < dstOff + kc * width;
                        if (inside) {
                            int p = (i - dstOff) / width;
                            int r = (i - dstOff) % width;
                            float expected = r < rows ? src[srcOff + r * ld + p] : 0f;
                            assertEquals(expected, want[i], "plain loop, width " + width + " rows " + rows + " kc " + kc);
                        } else {
                            assertEquals(GUARD, want[i], "plain loop wrote outside, index " + i);
                        }
                        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                                "width " + width + " rows " + rows + " kc " + kc + " index " + i);
                    }
                    cases++;
                }
            }
        }
        assertTrue(cases > 500, "cases: " + cases);
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, GUARD);
        return a;
    }
}
