package dev.kiln.cpu;

import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.ints;
import static dev.kiln.cpu.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Results are bit-identical with 1, 2 and 3 threads, for GEMM and for every reduction. */
class DeterminismTest {
    private static final int[] THREADS = {1, 2, 3};
    private static CpuEngine[] engines;

    @BeforeAll
    static void open() {
        engines = new CpuEngine[THREADS.length];
        for (int i = 0; i < THREADS.length; i++) {
            engines[i] = TestSupport.engine(THREADS[i], true);
        }
    }

    @AfterAll
    static void close() {
        for (CpuEngine e : engines) {
            e.close();
        }
    }

    private static void sameOnAll(String what, Function<CpuEngine, float[]> op) {
        float[] first = op.apply(engines[0]);
        for (int i = 1; i < engines.length; i++) {
            assertArrayEquals(first, op.apply(engines[i]), what + ": 1 thread vs " + THREADS[i]);
        }
    }

    @Test
    void gemm() {
        int[][] shapes = {{64, 128, 784}, {784, 128, 64}, {300, 257, 1100}, {1, 2000, 300}, {513, 1, 700}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                int m = s[0];
                int n = s[1];
                int k = s[2];
                float[] a = random(1, m * k, -1, 1);
                float[] b = random(2, k * n, -1, 1);
                float[] c0 = random(3, m * n, -1, 1);
                sameOnAll("gemm " + m + "x" + n + "x" + k + " " + t,
                        e -> GemmTest.run(e, ta, tb, m, n, k, 1.25f, a, b, 0.5f, c0));
            }
        }
    }

    @Test
    void reductions() {
        int n = 1_000_003;
        float[] x = random(7, n, -3, 3);
        float[] t = random(8, n, 0, 1);
        for (NormKind kind : NormKind.values()) {
            sameOnAll("norm " + kind, e -> {
                DeviceBuffer out = e.allocate(DType.F32, 1);
                e.norm(kind, buf(e, x), out, n);
                return get(e, out, 1);
            });
        }
        sameOnAll("sum", e -> {
            DeviceBuffer out = e.allocate(DType.F32, 1);
            e.sum(buf(e, x), out, n);
            return get(e, out, 1);
        });
        for (LossKind kind : new LossKind[] {LossKind.MSE, LossKind.L1, LossKind.BCE_WITH_LOGITS}) {
            sameOnAll("loss " + kind, e -> {
                DeviceBuffer out = e.allocate(DType.F32, 1);
                DeviceBuffer g = e.allocate(DType.F32, n);
                e.loss(kind, buf(e, x), buf(e, t), out, g, 1000, n / 1000, Reduction.MEAN);
                float[] r = get(e, g, n);
                r[0] = get(e, out, 1)[0];
                return r;
            });
        }
        int rows = 20_000;
        int cols = 50;
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = (r * 31) % cols;
        }
        sameOnAll("softmaxCrossEntropy", e -> {
            DeviceBuffer out = e.allocate(DType.F32, 1);
            e.softmaxCrossEntropy(buf(e, x), ints(e, labels), out, null, rows, cols, Reduction.MEAN, 0.1f);
            return get(e, out, 1);
        });
        sameOnAll("biasGrad", e -> {
            DeviceBuffer db = e.allocate(DType.F32, cols);
            e.biasGrad(buf(e, x), db, rows, cols, 0f);
            return get(e, db, cols);
        });
    }
}
