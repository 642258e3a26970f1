package dev.kiln.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The GEMM's transposing pack: element p of row r lands at p * width + r, rows past the valid
 * ones are zero, and nothing outside the block is written, for every panel width the kernels
 * use, every row count up to the width, and step counts around the unrolling.
 */
class PackTransposedTest {
    private static final float GUARD = -12345f;

    @Test
    void packsTransposedWithZeroPaddingAndStaysInsideItsBlock() {
        int[] widths = {12, 32, 16, 8, 6, 4, 1, 3};
        int[] kcs = {1, 2, 3, 4, 5, 15, 16, 17, 100, 262};
        int ld = 300;
        float[] src = TestSupport.random(7, 40 * ld, -1f, 1f);
        for (int width : widths) {
            for (int rows = 0; rows <= width; rows++) {
                for (int kc : kcs) {
                    int srcOff = 3 + rows;
                    int dstOff = 2 * width + 40;
                    float[] dst = new float[kc * width + 2 * dstOff];
                    java.util.Arrays.fill(dst, GUARD);
                    Gemm.packTransposed(src, srcOff, ld, rows, kc, dst, dstOff, width);
                    for (int i = 0; i < dst.length; i++) {
                        String what = "width " + width + " rows " + rows + " kc " + kc + " index " + i;
                        if (i >= dstOff && i < dstOff + kc * width) {
                            int p = (i - dstOff) / width;
                            int r = (i - dstOff) % width;
                            assertEquals(r < rows ? src[srcOff + r * ld + p] : 0f, dst[i], what);
                        } else {
                            assertEquals(GUARD, dst[i], "wrote outside its block: " + what);
                        }
                    }
                }
            }
        }
    }
}
