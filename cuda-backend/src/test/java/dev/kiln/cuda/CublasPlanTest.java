package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row-major to column-major operand swap for cublasSgemm, checked without a GPU: the planned
 * call is run through a plain column-major SGEMM with cuBLAS's (BLAS's) argument semantics and
 * must give the row-major product.
 */
class CublasPlanTest {

    /** Column-major {@code C = alpha op(X) op(Y) + beta C}, as BLAS defines SGEMM (op(X) is m x k). */
    static void colMajorSgemm(boolean tx, boolean ty, int m, int n, int k, float alpha, float[] x, int ldx,
                              float[] y, int ldy, float beta, float[] c, int ldc) {
        assertTrue(ldx >= Math.max(1, tx ? k : m), "ldx " + ldx);
        assertTrue(ldy >= Math.max(1, ty ? n : k), "ldy " + ldy);
        assertTrue(ldc >= Math.max(1, m), "ldc " + ldc);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double xv = tx ? x[p + i * ldx] : x[i + p * ldx];
                    double yv = ty ? y[j + p * ldy] : y[p + j * ldy];
                    s += xv * yv;
                }
                c[i + j * ldc] = (float) (alpha * s + (beta == 0 ? 0 : beta * c[i + j * ldc]));
            }
        }
    }

    @Test
    void plannedCallComputesTheRowMajorProductForEveryTranspose() {
        Random rnd = new Random(3);
        int m = 5, n = 7, k = 3;
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextInt(9) - 4;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = rnd.nextInt(9) - 4;
            }
            float[] want = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    }
                    want[i * n + j] = s;
                }
            }
            Cublas.Call call = Cublas.plan(ta, tb, m, n, k);
            float[] c = new float[m * n];
            colMajorSgemm(call.transFirst(), call.transSecond(), call.m(), call.n(), call.k(), 1f,
                    call.firstIsB() ? b : a, call.ldFirst(), call.firstIsB() ? a : b, call.ldSecond(), 0f, c,
                    call.ldc());
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], c[i], "transA=" + ta + " transB=" + tb + " at " + i);
            }
        }
    }
}
