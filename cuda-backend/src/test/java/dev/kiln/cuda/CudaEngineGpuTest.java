package dev.kiln.cuda;

import dev.kiln.testkit.BackendRequirement;

import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.spi.ProbeResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine-level checks that need a GPU: GEMM on both paths against a double-precision loop, the
 * device error flag, the caching allocator and the per-thread context. Skipped, with the probe's
 * reason, where CUDA is unavailable; fails instead when {@code kiln.require.backends} names cuda
 * (mvn -Pcuda). The op-by-op semantics are the conformance suite's job.
 */
class CudaEngineGpuTest {
    private static CudaEngine engine;

    /** Per test, not @BeforeAll, so that each skip shows up in the report with its reason. */
    @BeforeEach
    void open() {
        ProbeResult r = new CudaBackendProvider().probe();
        if (!r.isAvailable()) {
            BackendRequirement.unavailable("cuda", r.reason());
        }
        if (engine == null) {
            engine = (CudaEngine) new CudaBackendProvider().open(r.devices().get(0));
        }
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void cudaIsAvailableWhenRequired() {
        // Reaching here means open() succeeded; this test makes the requirement visible in reports.
        assertTrue(new CudaBackendProvider().probe().isAvailable());
    }

    private CudaBuffer upload(float[] v) {
        CudaBuffer b = engine.allocate(DType.F32, v.length);
        engine.upload(v, 0, b, 0, v.length);
        return b;
    }

    private float[] download(CudaBuffer b, int n) {
        float[] out = new float[n];
        engine.download(b, 0, out, 0, n);
        return out;
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** Shapes that reach gemm_big's edges too: partial 128-tiles, k not a multiple of 16, odd leading dimensions. */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"33, 17, 65", "130, 257, 33", "200, 300, 100", "256, 256, 64", "129, 131, 17", "3, 259, 2",
        "64, 128, 784", "65, 70, 300", "512, 128, 784"})
    void gemmMatchesADoubleLoopOnEveryTransposeAndEveryPath(int m, int n, int k) {
        Random rnd = new Random(7L * m + n + 31L * k);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            float[] a = random(rnd, m * k), b = random(rnd, k * n), c0 = random(rnd, m * n);
            double[] want = new double[m * n];
            double[] bound = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a[p * m + i] : a[i * k + p];
                        double bv = tb ? b[j * k + p] : b[p * n + j];
                        s += av * bv;
                        abs += Math.abs(av * bv);
                    }
                    want[i * n + j] = 1.5 * s + 0.5 * c0[i * n + j];
                    bound[i * n + j] = (k + 2) * Math.ulp(1f) * (1.5 * abs + 0.5 * Math.abs(c0[i * n + j])) + 1e-6;
                }
            }
            for (String path : new String[] {"gemm_tiled", "gemm_big", "gemm_tiled_split", "portable", "gemm"}) {
                CudaBuffer da = upload(a), db = upload(b), dc = upload(c0);
                switch (path) {
                    case "gemm_tiled" -> engine.tiledGemm(ta, tb, m, n, k, 1.5f, da, db, 0.5f, dc);
                    case "gemm_big" -> engine.bigGemm(ta, tb, m, n, k, 1.5f, da, db, 0.5f, dc);
                    case "gemm_tiled_split" -> engine.splitGemm(ta, tb, m, n, k, 1.5f, da, db, 0.5f, dc);
                    case "portable" -> engine.portableGemm(ta, tb, m, n, k, 1.5f, da, db, 0.5f, dc);
                    default -> engine.gemm(ta, tb, m, n, k, 1.5f, da, db, 0.5f, dc);
                }
                float[] got = download(dc, m * n);
                String what = (path.equals("gemm") ? engine.gemmImplementation() : path);
                for (int i = 0; i < m * n; i++) {
                    assertTrue(Math.abs(got[i] - want[i]) <= bound[i], what + " transA=" + ta + " transB=" + tb
                            + " " + m + "x" + n + "x" + k + " at " + i + ": " + got[i] + " vs " + want[i]);
                }
                engine.free(da);
                engine.free(db);
                engine.free(dc);
            }
        }
    }

    @Test
    void betaZeroDoesNotReadC() {
        CudaBuffer a = upload(new float[] {1, 2}), b = upload(new float[] {3, 4}),
                c = upload(new float[] {Float.NaN});
        engine.gemm(false, false, 1, 1, 2, 1f, a, b, 0f, c);
        assertEquals(11f, download(c, 1)[0]);
        engine.upload(new float[] {Float.NaN}, 0, c, 0, 1);
        engine.portableGemm(false, false, 1, 1, 2, 1f, a, b, 0f, c);
        assertEquals(11f, download(c, 1)[0]);
        engine.upload(new float[] {Float.NaN}, 0, c, 0, 1);
        engine.bigGemm(false, false, 1, 1, 2, 1f, a, b, 0f, c);
        assertEquals(11f, download(c, 1)[0]);
        engine.upload(new float[] {Float.NaN}, 0, c, 0, 1);
        engine.splitGemm(false, false, 1, 1, 2, 1f, a, b, 0f, c);
        assertEquals(11f, download(c, 1)[0]);
        engine.free(a);
        engine.free(b);
        engine.free(c);
    }

    @Test
    void unsignedBytesConvertOnTheDeviceToTheHostsFloats() {
        byte[] src = new byte[1003];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 37 + 11);
        }
        for (float divisor : new float[] {255f, 3f, 0.1f}) {
            CudaBuffer dst = upload(new float[1000]);
            engine.uploadUnsignedBytes(src, 3, dst, 1, 998, divisor);  // odd offsets on both sides
            float[] got = download(dst, 1000);
            assertEquals(0f, got[0]);
            assertEquals(0f, got[999]);
            for (int i = 0; i < 998; i++) {
                assertEquals((src[3 + i] & 0xFF) / divisor, got[1 + i], "element " + i + " / " + divisor);
            }
            engine.free(dst);
        }
    }

    @Test
    void bothWaysOfPassingLaunchArgumentsGiveTheSameResults() {
        float[] x = random(new Random(5), 300);
        float[][] out = new float[2][];
        boolean saved = engine.argSlotsEnabled;
        try {
            for (int mode = 0; mode < 2; mode++) {
                engine.argSlotsEnabled = mode == 0;
                CudaBuffer dx = upload(x), dm = upload(new float[300]), dg = upload(x), dv = upload(new float[300]);
                engine.adamStep(dx, dg, dm, dv, null, 300, dev.kiln.core.AdamParams.adamW(), 1e-2f, 3);
                out[mode] = download(dx, 300);
                engine.free(dx);
                engine.free(dm);
                engine.free(dg);
                engine.free(dv);
            }
        } finally {
            engine.argSlotsEnabled = saved;
        }
        assertTrue(java.util.Arrays.equals(out[0], out[1]), "slots and pointers disagree");
        assertTrue(!java.util.Arrays.equals(out[0], x), "the step changed nothing");
    }

    @Test
    void labelOutOfRangeIsReportedAtTheNextSyncNamingTheRow() {
        int rows = 4, cols = 3;
        CudaBuffer logits = upload(new float[rows * cols]);
        CudaBuffer labels = engine.allocate(DType.I32, rows);
        engine.upload(new int[] {0, 2, 7, 1}, 0, labels, 0, rows);
        CudaBuffer loss = engine.allocate(DType.F32, 1);
        engine.softmaxCrossEntropy(logits, labels, loss, null, rows, cols, Reduction.MEAN, 0f);
        KilnException e = assertThrows(KilnException.class, () -> download(loss, 1));
        assertTrue(e.getMessage().contains("row 2"), e.getMessage());
        assertEquals("cuda", e.backend());
        // The flag is cleared: a good batch afterwards works.
        engine.upload(new int[] {0, 2, 1, 1}, 0, labels, 0, rows);
        engine.softmaxCrossEntropy(logits, labels, loss, null, rows, cols, Reduction.MEAN, 0f);
        assertEquals(Math.log(3), download(loss, 1)[0], 1e-6);
        engine.free(logits);
        engine.free(labels);
        engine.free(loss);
    }

    @Test
    void aRepeatedStepAllocatesNothingNew() {
        Runnable step = () -> {
            CudaBuffer x = engine.allocate(DType.F32, 64 * 784);
            CudaBuffer out = engine.allocate(DType.F32, 1);
            engine.fill(x, 0.5f, 64 * 784);
            engine.norm(NormKind.L2, x, out, 64 * 784);  // uses a scratch buffer too
            engine.free(x);
            engine.free(out);
        };
        step.run();
        engine.synchronize();
        long before = engine.deviceAllocations();
        for (int i = 0; i < 10; i++) {
            step.run();
        }
        engine.synchronize();
        assertEquals(before, engine.deviceAllocations(), "cuMemAlloc calls after warm-up");
    }

    @Test
    void anotherThreadCanUseTheEngine() throws Exception {
        CudaBuffer x = upload(new float[] {1, 2, 3, 4});
        CudaBuffer s = engine.allocate(DType.F32, 1);
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<Float> f = ex.submit(() -> {
                engine.sum(x, s, 4);
                return download(s, 1)[0];
            });
            assertEquals(10f, f.get());
        } finally {
            ex.shutdown();
        }
        engine.free(x);
        engine.free(s);
    }
}
