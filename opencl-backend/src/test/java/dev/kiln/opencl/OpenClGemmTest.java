package dev.kiln.opencl;

import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static dev.kiln.opencl.OpenClTestSupport.down;
import static dev.kiln.opencl.OpenClTestSupport.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Both GEMM paths (CLBlast and the portable tiled kernel), all four transposes, against a
 * double-precision loop. Error bound as in the design: k eps |alpha| (|A||B|)_ij + eps |beta C|.
 */
class OpenClGemmTest {
    private static final Map<OpenClEngine.GemmPath, OpenClEngine> ENGINES = new EnumMap<>(OpenClEngine.GemmPath.class);

    @BeforeAll
    static void open() {
        OpenClTestSupport.deviceOrSkip();
        ENGINES.put(OpenClEngine.GemmPath.PORTABLE, OpenClTestSupport.open(OpenClEngine.GemmPath.PORTABLE));
        if (ClBlastGemm.load() == null) {
            ENGINES.put(OpenClEngine.GemmPath.CLBLAST, OpenClTestSupport.open(OpenClEngine.GemmPath.CLBLAST));
        }
    }

    @AfterAll
    static void close() {
        ENGINES.values().forEach(OpenClEngine::close);
        ENGINES.clear();
    }

    static Stream<Arguments> sizes() {
        List<Arguments> a = new ArrayList<>();
        // The last rows reach gemm_big's edges: partial 128-tiles, k not a multiple of its 16-step,
        // and each operand's contiguous dimension a multiple of 4 (vector loads) or not.
        int[][] mnk = {{1, 1, 1}, {33, 17, 65}, {64, 128, 784}, {5, 1, 9}, {1, 70, 3}, {1024, 1024, 1024},
            {256, 256, 64}, {130, 257, 33}, {200, 300, 100}, {129, 131, 17}, {384, 132, 4}, {3, 259, 2},
            {65, 70, 300}};
        for (int[] s : mnk) {
            a.add(Arguments.of(s[0], s[1], s[2]));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("sizes")
    void everyPathAndTransposeMatchesTheReference(int m, int n, int k) {
        Random rnd = new Random(31L * m + 7L * n + k);
        float[] opA = random(rnd, m * k);  // logical op(A), m x k
        float[] opB = random(rnd, k * n);  // logical op(B), k x n
        float[] c0 = random(rnd, m * n);
        float alpha = 1.25f;
        float beta = 0.5f;
        double[] ref = new double[m * n];
        double[] bound = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double prod = (double) opA[i * k + p] * opB[p * n + j];
                    s += prod;
                    abs += Math.abs(prod);
                }
                ref[i * n + j] = alpha * s + beta * c0[i * n + j];
                bound[i * n + j] = (k + 2) * 0x1p-23 * (Math.abs(alpha) * abs + Math.abs(beta * c0[i * n + j])) + 1e-30;
            }
        }
        int checked = 0;
        Map<String, Runner> runners = runners();
        for (Map.Entry<String, Runner> e : runners.entrySet()) {
            OpenClEngine eng = e.getValue().engine();
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                DeviceBuffer a = up(eng, ta ? transpose(opA, m, k) : opA);
                DeviceBuffer b = up(eng, tb ? transpose(opB, k, n) : opB);
                DeviceBuffer c = up(eng, c0);
                try {
                    e.getValue().gemm().run(ta, tb, m, n, k, alpha, a, b, beta, c);
                    float[] got = down(eng, c, m * n);
                    String what = e.getKey() + " transA=" + ta + " transB=" + tb + " " + m + "x" + n + "x" + k;
                    assertClose(ref, bound, got, what);
                    checked++;
                } finally {
                    eng.free(a);
                    eng.free(b);
                    eng.free(c);
                }
            }
        }
        assertEquals(4 * runners.size(), checked);
    }

    interface Gemm {
        void run(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
                 float beta, DeviceBuffer c);
    }

    record Runner(OpenClEngine engine, Gemm gemm) {
    }

    /** Each engine's gemm, and each portable kernel on its own (the engine picks one by shape). */
    static Map<String, Runner> runners() {
        Map<String, Runner> r = new java.util.LinkedHashMap<>();
        for (Map.Entry<OpenClEngine.GemmPath, OpenClEngine> e : ENGINES.entrySet()) {
            r.put(e.getKey().name(), new Runner(e.getValue(), e.getValue()::gemm));
        }
        OpenClEngine p = ENGINES.get(OpenClEngine.GemmPath.PORTABLE);
        r.put("gemm_tiled", new Runner(p, p::tiledGemm));
        r.put("gemm_tiled_split", new Runner(p, p::splitGemm));
        if (p.bigGemmFits()) {
            r.put("gemm_big", new Runner(p, p::bigGemm));
        }
        return r;
    }

    @Test
    void theBigTileKernelRunsOnThisDevice() {
        // POCL takes work-groups of 256 and has the local memory: gemm_big is tested here, not skipped.
        assertTrue(runners().containsKey("gemm_big"), "gemm_big does not fit " + ENGINES.get(
                OpenClEngine.GemmPath.PORTABLE).device().name());
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"33, 17, 65", "130, 260, 36"})
    void betaZeroDoesNotReadC(int m, int n, int k) {
        for (Map.Entry<String, Runner> e : runners().entrySet()) {
            OpenClEngine eng = e.getValue().engine();
            Random rnd = new Random(3);
            float[] a = random(rnd, m * k);
            float[] b = random(rnd, k * n);
            float[] nan = new float[m * n];
            java.util.Arrays.fill(nan, Float.NaN);
            DeviceBuffer da = up(eng, a);
            DeviceBuffer db = up(eng, b);
            DeviceBuffer dc = up(eng, nan);
            e.getValue().gemm().run(false, false, m, n, k, 2f, da, db, 0f, dc);
            float[] got = down(eng, dc, m * n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) a[i * k + p] * b[p * n + j];
                    }
                    assertTrue(Math.abs(got[i * n + j] - 2 * s) <= 1e-4, e.getKey() + " C[" + i + "," + j + "]="
                            + got[i * n + j] + " want " + 2 * s);
                }
            }
            eng.free(da);
            eng.free(db);
            eng.free(dc);
        }
    }

    @Test
    void kZeroScalesC() {
        for (OpenClEngine eng : ENGINES.values()) {
            DeviceBuffer dummy = eng.allocate(DType.F32, 1);
            DeviceBuffer c = up(eng, new float[] {1, 2, 3, 4, 5, 6});
            eng.gemm(false, false, 2, 3, 0, 1f, dummy, dummy, 0.5f, c);
            assertEquals(List.of(0.5f, 1f, 1.5f, 2f, 2.5f, 3f), boxed(down(eng, c, 6)));
            eng.upload(new float[] {Float.NaN, 2, 3, 4, 5, 6}, 0, c, 0, 6);
            eng.gemm(true, true, 2, 3, 0, 1f, dummy, dummy, 0f, c);
            assertEquals(List.of(0f, 0f, 0f, 0f, 0f, 0f), boxed(down(eng, c, 6)));
            eng.free(dummy);
            eng.free(c);
        }
    }

    @Test
    void bothPathsAreTestedWhereClBlastLoads() {
        String err = ClBlastGemm.load();
        if (err == null) {
            assertTrue(ENGINES.containsKey(OpenClEngine.GemmPath.CLBLAST));
            assertTrue(ENGINES.get(OpenClEngine.GemmPath.CLBLAST).gemmImplementation().startsWith("CLBlast 1.5"));
        }
        assertEquals("portable kernel", ENGINES.get(OpenClEngine.GemmPath.PORTABLE).gemmImplementation());
    }

    static void assertClose(double[] ref, double[] bound, float[] got, String what) {
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            if (!(err <= bound[i])) {
                fail(what + ": element " + i + " is " + got[i] + ", want " + ref[i] + " (error " + err + " > bound "
                        + bound[i] + ")");
            }
        }
    }

    static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    private static List<Float> boxed(float[] x) {
        List<Float> l = new ArrayList<>();
        for (float v : x) {
            l.add(v);
        }
        return l;
    }
}
