package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.DType;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.core.TensorScope;
import dev.kiln.core.reference.Reference;
import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReferenceEngine} behind the {@link Backend} front door gives exactly what {@link Reference}
 * gives on the same inputs: the engine keeps doubles and rounds only on download, so the float
 * results must be bit-identical to rounding the Reference's double results.
 */
class ReferenceEngineTest {
    private Backend backend;
    private TensorScope scope;
    private final Random rnd = new Random(2026);

    @BeforeEach
    void open() {
        backend = new Backend("reference", new ReferenceEngine(), LeakDetection.fromSystemProperty());
        scope = backend.scope();
    }

    @AfterEach
    void close() {
        scope.close();
        assertTrue(backend.liveTensors().isEmpty(), "every tensor was closed");
        backend.close();
    }

    float[] randomFloats(int n, double lo, double hi) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return f;
    }

    static double[] wide(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static float[] narrow(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void deviceAndRegistration() {
        assertEquals("reference", backend.device().backend());
        assertEquals(0, backend.device().index());
        assertEquals("float64 reference (Java)", backend.device().name());
        assertEquals(DeviceType.CPU, backend.device().type());
        assertFalse(Backends.names().contains("reference"), "the oracle is not a user backend");
    }

    @Test
    void gemmAllTransposes() {
        int m = 7;
        int n = 5;
        int k = 9;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                float[] a = randomFloats(m * k, -1, 1);
                float[] b = randomFloats(k * n, -1, 1);
                float[] c0 = randomFloats(m * n, -1, 1);
                Tensor at = ta ? backend.fromArray(a, k, m) : backend.fromArray(a, m, k);
                Tensor bt = tb ? backend.fromArray(b, n, k) : backend.fromArray(b, k, n);
                Tensor ct = backend.fromArray(c0, m, n);
                backend.gemm(ta, tb, 1.25f, at, bt, -0.5f, ct);
                double[] want = wide(c0);
                Reference.gemm(ta, tb, m, n, k, 1.25f, wide(a), wide(b), -0.5f, want);
                assertArrayEquals(narrow(want), ct.toFloatArray(), "transA " + ta + " transB " + tb);
            }
        }
    }

    @Test
    void biasAddAndGrad() {
        float[] x = randomFloats(12, -2, 2);
        float[] bias = randomFloats(4, -1, 1);
        Tensor xt = backend.fromArray(x, 3, 4);
        Tensor bt = backend.fromArray(bias, 4);
        Tensor yt = backend.zeros(3, 4);
        backend.biasAdd(xt, bt, yt);
        double[] y = new double[12];
        Reference.biasAdd(wide(x), wide(bias), y, 3, 4);
        assertArrayEquals(narrow(y), yt.toFloatArray());

        float[] db0 = randomFloats(4, -1, 1);
        Tensor dbt = backend.fromArray(db0, 4);
        backend.biasGrad(xt, dbt, 0.5f);
        double[] db = wide(db0);
        Reference.biasGrad(wide(x), db, 3, 4, 0.5f);
        assertArrayEquals(narrow(db), dbt.toFloatArray());
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationForwardAndBackward(Activation act) {
        float[] x = randomFloats(15, -6, 6);
        x[0] = 0;
        x[1] = 21; // past softplus's threshold
        float[] dy = randomFloats(15, -1, 1);
        float slope = 0.2f;
        Tensor xt = backend.fromArray(x, 3, 5);
        Tensor yt = backend.zeros(3, 5);
        Tensor dyt = backend.fromArray(dy, 3, 5);
        Tensor dxt = backend.zeros(3, 5);
        backend.activation(act, slope, xt, yt);
        backend.activationBackward(act, slope, xt, yt, dyt, dxt);
        double[] y = new double[15];
        Reference.activation(act, slope, wide(x), y, 3, 5);
        double[] dx = new double[15];
        Reference.activationBackward(act, slope, wide(x), y, wide(dy), dx, 3, 5);
        assertArrayEquals(narrow(y), yt.toFloatArray(), "forward");
        assertArrayEquals(narrow(dx), dxt.toFloatArray(), "backward");
    }

    @Test
    void softmaxCrossEntropy() {
        for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            for (float ls : new float[] {0f, 0.1f}) {
                float[] x = randomFloats(24, -5, 5);
                int[] labels = {0, 5, 3, 2};
                Tensor xt = backend.fromArray(x, 4, 6);
                Tensor lt = backend.labels(labels);
                Tensor loss = backend.zeros(1);
                Tensor grad = backend.zeros(4, 6);
                backend.softmaxCrossEntropy(xt, lt, loss, grad, red, ls);
                double[] g = new double[24];
                double want = Reference.softmaxCrossEntropy(wide(x), labels, g, 4, 6, red, ls);
                assertEquals((float) want, loss.item(), red + " " + ls);
                assertArrayEquals(narrow(g), grad.toFloatArray(), red + " " + ls);
            }
        }
    }

    @Test
    void labelOutOfRangeIsAnErrorNamingTheRow() {
        // Through the front door (which knows the uploaded labels) ...
        Tensor xt = backend.fromArray(randomFloats(6, -1, 1), 2, 3);
        Tensor lt = backend.labels(1, 3);
        Tensor loss = backend.zeros(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.softmaxCrossEntropy(xt, lt, loss, null, Reduction.MEAN, 0f));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        // ... and in the engine itself, for callers that bypass it.
        try (ReferenceEngine engine = new ReferenceEngine()) {
            DeviceBuffer x = engine.allocate(DType.F32, 6);
            DeviceBuffer labels = engine.allocate(DType.I32, 2);
            DeviceBuffer out = engine.allocate(DType.F32, 1);
            engine.upload(new int[] {-1, 0}, 0, labels, 0, 2);
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> engine.softmaxCrossEntropy(x, labels, out, null, 2, 3, Reduction.SUM, 0f));
            assertTrue(e2.getMessage().contains("row 0"), e2.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(LossKind.class)
    void losses(LossKind kind) {
        for (Reduction red : Reduction.values()) {
            float[] x = kind == LossKind.BCE ? randomFloats(12, 0.01, 0.99) : randomFloats(12, -3, 3);
            float[] t = kind == LossKind.KL_DIV || kind == LossKind.BCE || kind == LossKind.BCE_WITH_LOGITS
                    ? randomFloats(12, 0, 1) : randomFloats(12, -3, 3);
            t[0] = 0;
            Tensor xt = backend.fromArray(x, 3, 4);
            Tensor tt = backend.fromArray(t, 3, 4);
            Tensor loss = backend.zeros(1);
            Tensor grad = backend.zeros(3, 4);
            backend.loss(kind, xt, tt, loss, grad, red);
            double[] g = new double[12];
            double want = Reference.loss(kind, wide(x), wide(t), g, 3, 4, red);
            assertEquals((float) want, loss.item(), kind + " " + red);
            assertArrayEquals(narrow(g), grad.toFloatArray(), kind + " " + red);
        }
    }

    @Test
    void optimizersOverSeveralSteps() {
        int n = 10;
        float[] p0 = randomFloats(n, -1, 1);
        float[][] grads = new float[4][];
        for (int s = 0; s < 4; s++) {
            grads[s] = randomFloats(n, -1, 1);
        }
        SgdParams sgd = new SgdParams(0.9f, 0.1f, 0.01f, false);
        AdamParams adam = AdamParams.adam().withAmsgrad(true).withWeightDecay(0.1f);
        AdamParams adamw = AdamParams.adamW();
        RmsPropParams rms = new RmsPropParams(0.9f, 1e-8f, 0.01f, 0.5f, true);
        AdagradParams ada = new AdagradParams(0.01f, 1e-10f, 0.01f, 0.1f);
        float lr = 0.05f;

        Tensor[] p = new Tensor[5];
        for (int i = 0; i < 5; i++) {
            p[i] = backend.fromArray(p0, n);
        }
        Tensor sgdBuf = backend.zeros(n);
        Tensor am = backend.zeros(n);
        Tensor av = backend.zeros(n);
        Tensor avmax = backend.zeros(n);
        Tensor wm = backend.zeros(n);
        Tensor wv = backend.zeros(n);
        Tensor sq = backend.zeros(n);
        Tensor ga = backend.zeros(n);
        Tensor rbuf = backend.zeros(n);
        Tensor sum = backend.fromArray(filled(n, 0.1f), n);

        double[][] rp = new double[5][];
        for (int i = 0; i < 5; i++) {
            rp[i] = wide(p0);
        }
        double[][] st = new double[10][n];
        java.util.Arrays.fill(st[9], 0.1f);
        for (int s = 1; s <= 4; s++) {
            Tensor g = backend.fromArray(grads[s - 1], n);
            double[] gd = wide(grads[s - 1]);
            backend.sgdStep(p[0], g, sgdBuf, sgd, lr, s);
            backend.adamStep(p[1], g, am, av, avmax, adam, lr, s);
            backend.adamStep(p[2], g, wm, wv, null, adamw, lr, s);
            backend.rmspropStep(p[3], g, sq, ga, rbuf, rms, lr, s);
            backend.adagradStep(p[4], g, sum, ada, lr, s);
            Reference.sgdStep(rp[0], gd, st[0], n, sgd, lr, s);
            Reference.adamStep(rp[1], gd, st[1], st[2], st[3], n, adam, lr, s);
            Reference.adamStep(rp[2], gd, st[4], st[5], null, n, adamw, lr, s);
            Reference.rmspropStep(rp[3], gd, st[6], st[7], st[8], n, rms, lr);
            Reference.adagradStep(rp[4], gd, st[9], n, ada, lr, s);
            String[] names = {"sgd", "adam+amsgrad", "adamw", "rmsprop", "adagrad"};
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(narrow(rp[i]), p[i].toFloatArray(), names[i] + " step " + s);
            }
        }
        assertArrayEquals(narrow(st[3]), avmax.toFloatArray(), "amsgrad max");
        assertArrayEquals(narrow(st[9]), sum.toFloatArray(), "adagrad sum");
    }

    static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @Test
    void argmaxAndCountCorrect() {
        float nan = Float.NaN;
        float[] x = {
            1, 3, 3, 2,      // tie: the first maximum
            nan, 5, 1, 0,    // NaN counts as the maximum
            0, 1, nan, 9,
            -1, -2, -3, -4,
        };
        Tensor xt = backend.fromArray(x, 4, 4);
        Tensor out = backend.zeros(DType.I32, Shape.of(4));
        backend.argmax(xt, out);
        int[] want = new int[4];
        Reference.argmax(wide(x), want, 4, 4);
        assertArrayEquals(new int[] {1, 0, 2, 0}, want);
        assertArrayEquals(want, out.toIntArray());

        Tensor labels = backend.labels(1, 0, 3, 0);
        Tensor counter = backend.zeros(DType.I32, Shape.of(1));
        backend.countCorrect(xt, labels, counter);
        backend.countCorrect(xt, labels, counter);
        assertEquals(2 * Reference.countCorrect(wide(x), new int[] {1, 0, 3, 0}, 4, 4), counter.intItem());
        assertEquals(6, counter.intItem());
    }

    @Test
    void utilities() {
        float[] x = randomFloats(9, -4, 4);
        Tensor xt = backend.fromArray(x, 9);
        Tensor yt = backend.zeros(9);
        backend.copy(xt, yt);
        assertArrayEquals(x, yt.toFloatArray());
        backend.scale(yt, 0.3f);
        double[] y = wide(x);
        Reference.scale(y, 0.3f, 9);
        assertArrayEquals(narrow(y), yt.toFloatArray());
        backend.axpy(-1.5f, xt, yt);
        Reference.axpy(-1.5f, wide(x), y, 9);
        assertArrayEquals(narrow(y), yt.toFloatArray());
        Tensor out = backend.zeros(1);
        for (NormKind k : NormKind.values()) {
            backend.norm(k, yt, out);
            assertEquals((float) Reference.norm(k, y, 9), out.item(), k.toString());
        }
        backend.sum(yt, out);
        assertEquals((float) Reference.sum(y, 9), out.item());
        backend.fill(yt, 2.5f);
        assertArrayEquals(filled(9, 2.5f), yt.toFloatArray());
        Tensor it = backend.zeros(DType.I32, Shape.of(3));
        backend.fillInt(it, 7);
        Tensor it2 = backend.zeros(DType.I32, Shape.of(3));
        backend.copy(it, it2);
        assertArrayEquals(new int[] {7, 7, 7}, it2.toIntArray());
    }

    /** The engine keeps double precision between ops; only the download rounds. */
    @Test
    void resultsStayDoubleUntilDownloaded() {
        // 1 + 1e-9 is 1 in float but not in double: subtracting 1 afterwards shows which was kept.
        Tensor x = backend.fromArray(new float[] {1f}, 1);
        Tensor tiny = backend.fromArray(new float[] {1e-9f}, 1);
        backend.axpy(1f, tiny, x);
        Tensor one = backend.fromArray(new float[] {1f}, 1);
        backend.axpy(-1f, one, x);
        // In float the result would be exactly 0; in double it is 1e-9 up to double's rounding at 1 (2e-16).
        assertEquals(1e-9, x.item(), 1e-15);
    }
}
