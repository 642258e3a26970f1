package dev.kiln.cpu;

import java.util.Arrays;

/**
 * Run in a child JVM with {@code -Dkiln.cpu.simd.bits=256} (and {@code -Dkiln.cpu.simd.rows=6} or
 * {@code 4}) by {@link CpuBackendProviderTest}: the AVX2 (6- or 4-row) SIMD tiles must match the
 * plain kernel bit for bit, on operands read in place (row-major A, and column-major A of the
 * transposed products) and on packed ones (400 x 390 x 500, and 256 x 300 x 64, small but packed
 * for its reuse: the packed-A body, A padded to 8 floats a step for 6 rows). With
 * {@code -Dkiln.test.shapes=small} only the first few shapes run.
 */
final class NarrowVectorMain {
    private NarrowVectorMain() {
    }

    public static void main(String[] args) {
        try (CpuEngine simd = TestSupport.engine(2, true); CpuEngine plain = TestSupport.engine(2, false)) {
            System.out.println("kernel=" + simd.gemmKernel());
            int[][] shapes = {{64, 128, 784}, {33, 17, 65}, {100, 70, 1000}, {7, 9, 11}, {300, 200, 100}, {64, 8, 100},
                {50, 5, 700}, {8, 64, 40}, {400, 390, 500}, {256, 300, 64}};
            if ("small".equals(System.getProperty("kiln.test.shapes"))) {
                shapes = Arrays.copyOf(shapes, 4);
            }
            int bad = 0;
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    int m = s[0];
                    int n = s[1];
                    int k = s[2];
                    float[] a = TestSupport.random(t, m * k, -1, 1);
                    float[] b = TestSupport.random(t + 9, k * n, -1, 1);
                    float[] c0 = TestSupport.random(t + 17, m * n, -1, 1);
                    float[] r1 = GemmTest.run(simd, ta, tb, m, n, k, 0.75f, a, b, 0.5f, c0);
                    float[] r2 = GemmTest.run(plain, ta, tb, m, n, k, 0.75f, a, b, 0.5f, c0);
                    if (!Arrays.equals(r1, r2)) {
                        System.out.println("MISMATCH " + m + "x" + n + "x" + k + " trans " + t);
                        bad++;
                    }
                    // alpha 1, beta 0: whole tiles are stored straight from the registers
                    if (!Arrays.equals(GemmTest.run(simd, ta, tb, m, n, k, 1f, a, b, 0f, c0),
                            GemmTest.run(plain, ta, tb, m, n, k, 1f, a, b, 0f, c0))) {
                        System.out.println("MISMATCH " + m + "x" + n + "x" + k + " trans " + t + " alpha 1 beta 0");
                        bad++;
                    }
                }
            }
            System.out.println(bad == 0 ? "all equal" : bad + " mismatches");
        }
    }
}
