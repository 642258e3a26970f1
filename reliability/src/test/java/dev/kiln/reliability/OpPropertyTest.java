package dev.kiln.reliability;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.Tensor;
import dev.kiln.core.verify.Tolerance;
import dev.kiln.core.verify.VerificationGrid;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property tests of ops on random shapes (including 1, odd sizes and sizes that fit no tile):
 * every available backend agrees with the float64 reference within {@link Tolerance}'s bounds.
 */
class OpPropertyTest {
    private static final List<Backend> BACKENDS = new ArrayList<>();
    private static Backend reference;

    @BeforeContainer
    static void open() {
        for (String name : Available.names()) {
            BACKENDS.add(dev.kiln.core.Backends.open(name));
        }
        reference = VerificationGrid.openReference();
    }

    @AfterContainer
    static void close() {
        BACKENDS.forEach(Backend::close);
        BACKENDS.clear();
        reference.close();
    }

    @Property(tries = 60)
    void gemmMatchesTheReference(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                                 @ForAll @IntRange(min = 0, max = 90) int k, @ForAll boolean transA,
                                 @ForAll boolean transB, @ForAll boolean accumulate, @ForAll long seed) {
        Random r = new Random(seed);
        float[] a = values(r, m * k, -2, 2);
        float[] b = values(r, k * n, -2, 2);
        float[] c = values(r, m * n, -2, 2);
        float alpha = 0.5f + r.nextFloat();
        float beta = accumulate ? r.nextFloat() - 0.5f : 0f;
        Function<Backend, float[]> op = be -> {
            try (Tensor ta = be.fromArray(a, transA ? k : m, transA ? m : k);
                 Tensor tb = be.fromArray(b, transB ? n : k, transB ? k : n);
                 Tensor tc = be.fromArray(c, m, n)) {
                be.gemm(transA, transB, alpha, ta, tb, beta, tc);
                return tc.toFloatArray();
            }
        };
        float[] want = op.apply(reference);
        for (Backend be : BACKENDS) {
            float[] got = op.apply(be);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double mag = Math.abs(beta * c[i * n + j]);
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[p * m + i] : a[i * k + p];
                        float bv = transB ? b[j * k + p] : b[p * n + j];
                        mag += Math.abs((double) alpha * av * bv);
                    }
                    check("gemm " + m + "x" + n + "x" + k + " tA=" + transA + " tB=" + transB + " on " + be.name(),
                            i * n + j, got[i * n + j], want[i * n + j], Tolerance.gemm(k, mag));
                }
            }
        }
    }

    @Property(tries = 60)
    void activationsAndTheirGradientsMatchTheReference(@ForAll Activation act,
                                                       @ForAll @IntRange(min = 1, max = 40) int rows,
                                                       @ForAll @IntRange(min = 1, max = 300) int cols,
                                                       @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = values(r, rows * cols, -6, 6);
        float[] dy = values(r, rows * cols, -1, 1);
        Function<Backend, float[]> op = be -> {
            try (Tensor tx = be.fromArray(x, rows, cols); Tensor ty = be.zeros(rows, cols);
                 Tensor tdy = be.fromArray(dy, rows, cols); Tensor tdx = be.zeros(rows, cols)) {
                be.activation(act, 0.05f, tx, ty);
                be.activationBackward(act, 0.05f, tx, ty, tdy, tdx);
                return NonFiniteInputsTest.concat(ty.toFloatArray(), tdx.toFloatArray());
            }
        };
        compareElementwise(act.id() + " " + rows + "x" + cols, op);
    }

    @Property(tries = 50)
    void lossesMatchTheReference(@ForAll LossKind kind, @ForAll @IntRange(min = 1, max = 50) int rows,
                                 @ForAll @IntRange(min = 1, max = 120) int cols, @ForAll boolean sum,
                                 @ForAll long seed) {
        Random r = new Random(seed);
        boolean probs = kind == LossKind.BCE;
        float[] x = kind == LossKind.KL_DIV ? values(r, rows * cols, -5, -0.01f) : values(r, rows * cols, probs ? 0.01f : -3,
                probs ? 0.99f : 3);
        float[] t = values(r, rows * cols, 0, 1);
        Reduction red = kind == LossKind.KL_DIV ? Reduction.BATCHMEAN : sum ? Reduction.SUM : Reduction.MEAN;
        Function<Backend, float[]> op = be -> {
            try (Tensor tx = be.fromArray(x, rows, cols); Tensor tt = be.fromArray(t, rows, cols); Tensor l = be.zeros(1);
                 Tensor g = be.zeros(rows, cols)) {
                be.loss(kind, tx, tt, l, g, red);
                return NonFiniteInputsTest.concat(l.toFloatArray(), g.toFloatArray());
            }
        };
        float[] want = op.apply(reference);
        for (Backend be : BACKENDS) {
            float[] got = op.apply(be);
            String what = kind.id() + " " + red + " " + rows + "x" + cols + " on " + be.name();
            if (kind != LossKind.KL_DIV) { // KL terms have both signs: the loss is not a well-conditioned reduction
                check(what + " loss", 0, got[0], want[0], Tolerance.reduction(want[0]));
            }
            for (int i = 1; i < want.length; i++) {
                check(what + " grad", i - 1, got[i], want[i], Tolerance.elementwise(want[i]));
            }
        }
    }

    @Property(tries = 50)
    void softmaxCrossEntropyMatchesTheReference(@ForAll @IntRange(min = 1, max = 64) int rows,
                                                @ForAll @IntRange(min = 1, max = 200) int classes,
                                                @ForAll boolean smoothing, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = values(r, rows * classes, -8, 8);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = r.nextInt(classes);
        }
        float ls = smoothing ? 0.1f : 0f;
        Function<Backend, float[]> op = be -> {
            try (Tensor tx = be.fromArray(x, rows, classes); Tensor tl = be.labels(labels); Tensor l = be.zeros(1);
                 Tensor g = be.zeros(rows, classes); Tensor count = be.fromInts(new int[1], 1)) {
                be.softmaxCrossEntropy(tx, tl, l, g, Reduction.MEAN, ls);
                be.countCorrect(tx, tl, count);
                return NonFiniteInputsTest.concat(new float[] {count.intItem()}, l.toFloatArray(), g.toFloatArray());
            }
        };
        float[] want = op.apply(reference);
        for (Backend be : BACKENDS) {
            float[] got = op.apply(be);
            String what = "softmaxCrossEntropy " + rows + "x" + classes + " on " + be.name();
            assertEquals(want[0], got[0], what + ": correct count is exact");
            check(what + " loss", 0, got[1], want[1], Tolerance.reduction(want[1]));
            for (int i = 2; i < want.length; i++) {
                check(what + " grad", i - 2, got[i], want[i], Tolerance.elementwise(want[i]));
            }
        }
    }

    @Property(tries = 40)
    void adamStepsSumsAndNormsMatchTheReference(@ForAll @IntRange(min = 1, max = 5000) int n, @ForAll long seed) {
        Random r = new Random(seed);
        float[] p = values(r, n, -1, 1);
        float[] g = values(r, n, -1, 1);
        float[] pos = values(r, n, 0, 2);
        Function<Backend, float[]> op = be -> {
            try (Tensor tp = be.fromArray(p, n); Tensor tg = be.fromArray(g, n); Tensor m = be.zeros(n); Tensor v = be.zeros(n);
                 Tensor vm = be.zeros(n); Tensor tpos = be.fromArray(pos, n); Tensor s = be.zeros(1); Tensor l1 = be.zeros(1);
                 Tensor l2 = be.zeros(1); Tensor li = be.zeros(1)) {
                AdamParams hp = new AdamParams(0.9f, 0.999f, 1e-8f, 0.01f, true, true);
                for (int step = 1; step <= 3; step++) {
                    be.adamStep(tp, tg, m, v, vm, hp, 0.01f, step);
                }
                be.sum(tpos, s);
                be.norm(NormKind.L1, tg, l1);
                be.norm(NormKind.L2, tg, l2);
                be.norm(NormKind.LINF, tg, li);
                return NonFiniteInputsTest.concat(new float[] {s.item(), l1.item(), l2.item(), li.item()},
                        tp.toFloatArray(), m.toFloatArray(), v.toFloatArray());
            }
        };
        float[] want = op.apply(reference);
        for (Backend be : BACKENDS) {
            float[] got = op.apply(be);
            String what = "n=" + n + " on " + be.name();
            for (int i = 0; i < 4; i++) {
                check(what + " sum/norms", i, got[i], want[i], Tolerance.reduction(want[i]));
            }
            double scale = 0;
            for (int i = 4; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
            }
            for (int i = 4; i < want.length; i++) {
                check(what + " adamw state", i - 4, got[i], want[i], Tolerance.accumulated(want[i], scale));
            }
        }
    }

    private static void compareElementwise(String what, Function<Backend, float[]> op) {
        float[] want = op.apply(reference);
        for (Backend be : BACKENDS) {
            float[] got = op.apply(be);
            for (int i = 0; i < want.length; i++) {
                check(what + " on " + be.name(), i, got[i], want[i], Tolerance.elementwise(want[i]));
            }
        }
    }

    private static void check(String what, int index, float got, float want, double tol) {
        if (Float.isNaN(want) && Float.isNaN(got) || got == want) {
            return;
        }
        if (!(Math.abs((double) got - want) <= tol)) {
            fail(what + ": element " + index + " is " + got + ", reference " + want + " (error " + Math.abs((double) got - want)
                    + " > " + tol + ")");
        }
    }

    private static float[] values(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return v;
    }
}
