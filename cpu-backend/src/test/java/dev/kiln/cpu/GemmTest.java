package dev.kiln.cpu;

import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GEMM against a double-precision triple loop, with an error bound of the K eps |A||B| kind. */
class GemmTest {
    private static final double EPS = Math.ulp(1.0f) / 2; // 2^-24, float's unit roundoff
    private static CpuEngine simd;
    private static CpuEngine scalar;

    @BeforeAll
    static void open() {
        simd = TestSupport.engine(2, true);
        scalar = TestSupport.engine(2, false);
    }

    @AfterAll
    static void close() {
        simd.close();
        scalar.close();
    }

    static Stream<Arguments> shapes() {
        int[][] mnk = {{1, 1, 1}, {33, 17, 65}, {64, 128, 784}, {784, 128, 64}, {64, 64, 128}, {1024, 1024, 1024},
                {5, 300, 2}, {129, 3, 700}, {1, 257, 513}, {200, 1, 390}, {300, 256, 96}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : mnk) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return out.stream();
    }

    /** Checks C = alpha op(A) op(B) + beta C0 element by element against the bound. */
    static void check(CpuEngine e, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, long seed) {
        float[] a = random(seed, Math.max(1, m * k), -1f, 1f);
        float[] b = random(seed + 1, Math.max(1, k * n), -1f, 1f);
        float[] c0 = random(seed + 2, m * n, -1f, 1f);
        DeviceBuffer ab = buf(e, a);
        DeviceBuffer bb = buf(e, b);
        DeviceBuffer cb = buf(e, c0);
        e.gemm(ta, tb, m, n, k, alpha, ab, bb, beta, cb);
        float[] c = get(e, cb, m * n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[p * m + i] : a[i * k + p];
                    double y = tb ? b[j * k + p] : b[p * n + j];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                double want = alpha * s + beta * c0[i * n + j];
                double bound = 2 * (k + 2) * EPS * (Math.abs(alpha) * abs + Math.abs(beta * c0[i * n + j]));
                double got = c[i * n + j];
                if (!(Math.abs(got - want) <= bound)) {
                    throw new AssertionError("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x"
                            + k + " at (" + i + "," + j + "): want " + want + " got " + got + " bound " + bound);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
    @MethodSource("shapes")
    void matchesDoubleLoops(int m, int n, int k, boolean ta, boolean tb) {
        check(simd, ta, tb, m, n, k, 1f, 0f, 11L * m + n + k);
        if ((long) m * n * k < 1_000_000) {
            check(scalar, ta, tb, m, n, k, 1f, 0f, 11L * m + n + k);
        }
    }

    @Test
    void alphaAndBeta() {
        for (CpuEngine e : new CpuEngine[] {simd, scalar}) {
            check(e, false, false, 37, 45, 53, 0.5f, 0f, 1);
            check(e, true, false, 37, 45, 53, -2f, 1f, 2);
            check(e, false, true, 37, 45, 900, 1f, 0.25f, 3);
            check(e, true, true, 3, 4, 5, 1.5f, -1f, 4);
            check(e, true, true, 50, 70, 90, 1.5f, -1f, 5);  // computed as C^T = B A
            check(e, false, true, 80, 40, 300, 0.5f, 2f, 6); // NT with m >= n: not swapped
            check(e, false, true, 40, 80, 300, 0.5f, 2f, 7); // NT with m < n: swapped
        }
    }

    @Test
    void betaZeroDoesNotReadC() {
        for (int[] s : new int[][] {{2, 3, 4}, {70, 90, 800}}) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            float[] c0 = new float[m * n];
            java.util.Arrays.fill(c0, Float.NaN);
            DeviceBuffer a = buf(simd, random(5, m * k, -1, 1));
            DeviceBuffer b = buf(simd, random(6, k * n, -1, 1));
            for (int t = 0; t < 4; t++) { // NT and TT with m < n take the C^T route
                DeviceBuffer c = buf(simd, c0);
                simd.gemm((t & 1) != 0, (t & 2) != 0, m, n, k, 1f, a, b, 0f, c);
                for (float v : get(simd, c, m * n)) {
                    assertFalse(Float.isNaN(v), "NaN from C leaked through beta = 0, case " + t);
                }
            }
        }
    }

    @Test
    void kZeroScalesC() {
        DeviceBuffer a = buf(simd, new float[1]);
        DeviceBuffer b = buf(simd, new float[1]);
        DeviceBuffer c = buf(simd, new float[] {1, 2, Float.NaN, 4});
        simd.gemm(false, false, 2, 2, 0, 1f, a, b, 0.5f, c);
        float[] r = get(simd, c, 4);
        assertEquals(0.5f, r[0]);
        assertEquals(1f, r[1]);
        assertTrue(Float.isNaN(r[2]));
        simd.gemm(false, false, 2, 2, 0, 1f, a, b, 0f, c);
        assertArrayEquals(new float[4], get(simd, c, 4));
    }

    @Test
    void simdAndScalarKernelsAreBitIdentical() {
        assertTrue(simd.simd(), "the tests run with jdk.incubator.vector, so SIMD must be on");
        assertFalse(scalar.simd());
        // The MLP's shapes (a 64-row batch is 5 panels of 12 and a 4-row remainder tile), odd edges,
        // and alpha/beta pairs that take the kernels' direct store (1, 0), the accumulating merge
        // (1, 1) and the general merge.
        // The narrow kernel takes outputs at most 16 wide: the MLP's 64 x 10 layer (both ways round)
        // and widths at its edge, with a K of several blocks, and one big enough for both threads.
        int[][] shapes = {{64, 128, 784}, {33, 17, 65}, {100, 70, 1000}, {7, 9, 11}, {64, 64, 128}, {64, 128, 64},
            {128, 64, 64}, {40, 30, 50}, {64, 10, 64}, {10, 64, 64}, {64, 64, 10}, {50, 16, 900}, {30, 1, 20},
            {25, 15, 3}, {3000, 10, 200},
            // last panels of 1-8 rows (run as one or two 4-row tiles), over several K blocks too
            {13, 40, 30}, {20, 33, 400}, {68, 50, 800}, {16, 64, 1}, {130, 70, 90},
            // small operands used 256+ times per element: packed for their reuse by the 6-row kernel
            {256, 300, 64}, {300, 256, 96}};
        float[][] alphaBeta = {{0.75f, 0.5f}, {1f, 0f}, {1f, 1f}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (float[] ab : alphaBeta) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    int m = s[0];
                    int n = s[1];
                    int k = s[2];
                    float[] a = random(t, m * k, -1, 1);
                    float[] b = random(t + 9, k * n, -1, 1);
                    float[] c0 = random(t + 17, m * n, -1, 1);
                    float[] r1 = run(simd, ta, tb, m, n, k, ab[0], a, b, ab[1], c0);
                    float[] r2 = run(scalar, ta, tb, m, n, k, ab[0], a, b, ab[1], c0);
                    String what = m + "x" + n + "x" + k + " " + t + " alpha " + ab[0] + " beta " + ab[1];
                    assertArrayEquals(r1, r2, "SIMD vs scalar " + what);
                }
            }
        }
    }

    @Test
    void aNarrowNTakesTheNarrowKernel() {
        Gemm g = new Gemm(new KernelStub(12, 32), new KernelStub(16, 16), null);
        assertEquals(16, g.kernelFor(10).nr(), "10 columns: one 16-column panel");
        assertEquals(16, g.kernelFor(16).nr());
        assertEquals(32, g.kernelFor(17).nr());
        assertEquals(32, g.kernelFor(64).nr());
        assertTrue(simd.gemmKernel().contains("for narrow N"), simd.gemmKernel());
    }

    @Test
    void anNtProductTakesTheCheaperOrientation() {
        Gemm g = new Gemm(new KernelStub(12, 32), new KernelStub(16, 16), null);
        assertTrue(g.transposedCheaper(64, 128, 784), "fwd1: pack x (64 rows), not W (128)");
        assertFalse(g.transposedCheaper(64, 10, 64), "fwd3: the narrow kernel on 10 columns");
        assertFalse(g.transposedCheaper(512, 512, 512), "square: no transposed store");
        assertTrue(g.transposedCheaper(10, 64, 64), "10 x 64: the narrow kernel on C^T's 10 columns");
    }

    @Test
    void theTwelveRowKernelComputesShortLastPanelsInFourRowTiles() {
        assertTrue(simd.gemmKernel().startsWith("vector "), simd.gemmKernel());
        if (VectorSupport.floatLanes() >= 16) {
            GemmKernel k = VectorSupport.gemmKernel();
            assertEquals(12, k.mr());
            assertEquals(64, k.rowsComputed(64), "5 x 12 + 4");
            assertEquals(128, k.rowsComputed(128), "10 x 12 + 8: two 4-row tiles");
            assertEquals(132, k.rowsComputed(130), "10 x 12 + 10: a full tile");
            assertEquals(16, k.rowsComputed(13), "12 + 4");
            assertEquals(36, k.rowsComputed(36));
        }
        assertEquals(72, new KernelStub(12, 32).rowsComputed(64), "a kernel without remainder tiles pads to mr");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void resultsDoNotDependOnBlockingOrOnWhatIsPacked(int m, int n, int k, boolean ta, boolean tb) {
        // The same bits whatever the C blocks, whatever is packed or read in place, on one thread
        // or two: each element's sum runs over K in one order.
        boolean vector = simd.simd();
        GemmKernel main = vector ? VectorSupport.gemmKernel() : new ScalarGemmKernel();
        GemmKernel narrow = vector ? VectorSupport.narrowGemmKernel() : null;
        WorkerPool two = WorkerPool.shared(2);
        Gemm reference = new Gemm(main, narrow, null);
        Gemm[] others = {
            // tiny blocks, everything packed
            new Gemm(main, narrow, two, 1, 1, 0, 1),
            // one block, everything small read in place, nothing packed for its reuse
            new Gemm(main, narrow, null, 1 << 20, 1 << 20, Long.MAX_VALUE, Integer.MAX_VALUE),
            new Gemm(main, narrow, two, 96, 128, Gemm.DIRECT_MAX, 64),
        };
        float[] a = random(3, Math.max(1, m * k), -1, 1);
        float[] b = random(5, Math.max(1, k * n), -1, 1);
        for (float[] ab : new float[][] {{1f, 0f}, {0.75f, 0.5f}}) {
            float[] c0 = random(7, m * n, -1, 1);
            float[] want = c0.clone();
            reference.gemm(ta, tb, m, n, k, ab[0], a, b, ab[1], want);
            for (int g = 0; g < others.length; g++) {
                float[] got = c0.clone();
                others[g].gemm(ta, tb, m, n, k, ab[0], a, b, ab[1], got);
                assertArrayEquals(want, got, "settings " + g + ", alpha " + ab[0] + " beta " + ab[1]);
            }
        }
    }

    @Test
    void packedAPanelsArePaddedOnlyWhereThePaddedCopyFitsAnArray() {
        GemmKernel padded = new KernelStub(6, 16, 8);
        assertEquals(8, Gemm.aPackStep(padded, 11, 784), "the MLP's 64-row batch");
        // 1.7G floats of A: padded to 8 floats a step it would need 2.27G, past any Java array
        int mPanels = 283_334;
        int k = 1_000;
        assertTrue((long) mPanels * 6 * k <= Gemm.MAX_ARRAY);
        assertEquals(6, Gemm.aPackStep(padded, mPanels, k), "falls back to mr a step");
        assertEquals(12, Gemm.aPackStep(new KernelStub(12, 32), mPanels, k), "no padding: mr");
        if (simd.simd() && VectorSupport.vectorBits() == 256) {
            GemmKernel avx2 = VectorSupport.gemmKernel();
            // the 6-row tile's packed body steps 8 floats; the 4-row one (JDKs after 17) steps 4
            assertEquals(Simd.avx2TileRows(), avx2.mr(), avx2.describe());
            assertEquals(avx2.mr() == 6 ? 8 : 4, avx2.packStep(), "the AVX2 tile's packed body");
            assertEquals(256, avx2.packedReuse());
        }
    }

    /** A kernel that only has a shape, for the selection test. */
    private record KernelStub(int mr, int nr, int packStep) implements GemmKernel {
        KernelStub(int mr, int nr) {
            this(mr, nr, mr);
        }

        @Override
        public String describe() {
            return "stub";
        }

        @Override
        public void tile(int kc, float[] ap, int aOff, int aRowStride, int aStep, float[] bp, int bOff, int bStep,
                         float[] c, int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first,
                         float[] t) {
            throw new UnsupportedOperationException();
        }
    }

    static float[] run(CpuEngine e, boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b,
                       float beta, float[] c0) {
        DeviceBuffer cb = buf(e, c0);
        e.gemm(ta, tb, m, n, k, alpha, buf(e, a), buf(e, b), beta, cb);
        return get(e, cb, m * n);
    }
}
