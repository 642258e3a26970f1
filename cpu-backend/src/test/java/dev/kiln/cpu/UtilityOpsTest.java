package dev.kiln.cpu;

import dev.kiln.core.DType;
import dev.kiln.core.NormKind;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.kiln.cpu.TestSupport.assertClose;
import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.getInts;
import static dev.kiln.cpu.TestSupport.ints;
import static dev.kiln.cpu.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bias add and gradient, argmax and accuracy, fill, copy, scale, axpy, norms and sums. */
class UtilityOpsTest {
    private static CpuEngine e;

    @BeforeAll
    static void open() {
        e = TestSupport.engine(2, true);
    }

    @AfterAll
    static void close() {
        e.close();
    }

    @Test
    void biasAddAndGrad() {
        for (int[] s : new int[][] {{3, 5}, {600, 300}}) {
            int rows = s[0];
            int cols = s[1];
            float[] x = random(1, rows * cols, -1, 1);
            float[] bias = random(2, cols, -1, 1);
            double[] y = new double[rows * cols];
            double[] db = new double[cols];
            float[] db0 = random(3, cols, -1, 1);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    y[r * cols + c] = x[r * cols + c] + bias[c]; // float addition, as the engine does
                    db[c] += x[r * cols + c];
                }
            }
            DeviceBuffer xb = buf(e, x);
            DeviceBuffer bb = buf(e, bias);
            DeviceBuffer yb = e.allocate(DType.F32, rows * cols);
            e.biasAdd(xb, bb, yb, rows, cols);
            assertClose(y, get(e, yb, rows * cols), 0, 0, "biasAdd");
            e.biasAdd(xb, bb, xb, rows, cols);
            assertClose(y, get(e, xb, rows * cols), 0, 0, "biasAdd in place");

            DeviceBuffer dy = buf(e, x);
            DeviceBuffer dbb = buf(e, new float[cols]);
            e.fill(dbb, Float.NaN, cols);
            e.biasGrad(dy, dbb, rows, cols, 0f);
            assertClose(db, get(e, dbb, cols), 1e-6, 1e-6, "biasGrad beta 0");
            DeviceBuffer acc = buf(e, db0);
            e.biasGrad(dy, acc, rows, cols, 0.5f);
            double[] want = new double[cols];
            for (int c = 0; c < cols; c++) {
                want[c] = db[c] + 0.5 * db0[c];
            }
            assertClose(want, get(e, acc, cols), 1e-6, 1e-6, "biasGrad beta 0.5");
        }
    }

    @Test
    void argmaxAndCountCorrect() {
        float nan = Float.NaN;
        float[] x = {1, 3, 3, 2, /**/ -1, -2, -3, -4, /**/ 0, nan, 5, nan, /**/ 7, 7, 7, 7};
        DeviceBuffer xb = buf(e, x);
        DeviceBuffer out = e.allocate(DType.I32, 4);
        e.argmax(xb, out, 4, 4);
        assertArrayEquals(new int[] {1, 0, 1, 0}, getInts(e, out, 4));
        DeviceBuffer counter = ints(e, new int[] {10});
        e.countCorrect(xb, ints(e, new int[] {1, 2, 1, 0}), counter, 4, 4);
        assertEquals(13, getInts(e, counter, 1)[0]);
    }

    @Test
    void fillCopyScaleAxpy() {
        int n = 100_000;
        float[] x = random(4, n, -1, 1);
        float[] y = random(5, n, -1, 1);
        DeviceBuffer xb = buf(e, x);
        DeviceBuffer yb = buf(e, y);
        e.axpy(0.5f, xb, yb, n);
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = y[i] + 0.5 * x[i];
        }
        assertClose(want, get(e, yb, n), 1e-7, 1e-6, "axpy");
        e.scale(xb, -2f, n);
        for (int i = 0; i < n; i++) {
            want[i] = -2.0 * x[i];
        }
        assertClose(want, get(e, xb, n), 0, 0, "scale");
        DeviceBuffer z = e.allocate(DType.F32, n);
        e.copy(xb, z, n);
        assertArrayEquals(get(e, xb, n), get(e, z, n));
        e.fill(z, 3f, 10);
        assertEquals(3f, get(e, z, n)[9]);
        assertEquals((float) want[10], get(e, z, n)[10]);
        DeviceBuffer iz = e.allocate(DType.I32, 5);
        e.fillInt(iz, 7, 5);
        DeviceBuffer iz2 = e.allocate(DType.I32, 5);
        e.copy(iz, iz2, 5);
        assertArrayEquals(new int[] {7, 7, 7, 7, 7}, getInts(e, iz2, 5));
    }

    @Test
    void normsAndSum() {
        for (int n : new int[] {1, 17, 4096, 4097, 300_001}) {
            float[] x = random(n, n, -2, 2);
            double l1 = 0;
            double l2 = 0;
            double linf = 0;
            double sum = 0;
            for (float v : x) {
                l1 += Math.abs(v);
                l2 += (double) v * v;
                linf = Math.max(linf, Math.abs(v));
                sum += v;
            }
            DeviceBuffer xb = buf(e, x);
            DeviceBuffer out = e.allocate(DType.F32, 1);
            e.norm(NormKind.L1, xb, out, n);
            assertClose(l1, get(e, out, 1)[0], 0, 1e-6, "L1 " + n);
            e.norm(NormKind.L2, xb, out, n);
            assertClose(Math.sqrt(l2), get(e, out, 1)[0], 0, 1e-6, "L2 " + n);
            e.norm(NormKind.LINF, xb, out, n);
            assertClose(linf, get(e, out, 1)[0], 0, 0, "LINF " + n);
            e.sum(xb, out, n);
            assertClose(sum, get(e, out, 1)[0], 1e-6, 1e-6, "sum " + n);
        }
        DeviceBuffer withNan = buf(e, new float[] {1, Float.NaN, 3});
        DeviceBuffer out = e.allocate(DType.F32, 1);
        e.norm(NormKind.LINF, withNan, out, 3);
        assertTrue(Float.isNaN(get(e, out, 1)[0]));
    }
}
