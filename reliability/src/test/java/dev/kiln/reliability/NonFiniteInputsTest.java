package dev.kiln.reliability;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Tensor;
import dev.kiln.core.verify.VerificationGrid;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * NaN and infinity in the inputs of every op class propagate as PyTorch propagates them (the
 * float64 reference implements PyTorch's semantics): every output element is NaN, +Inf, -Inf or
 * finite exactly where the reference's is, and finite ones agree. Never a crash, never a silently
 * finite result where PyTorch gives NaN.
 */
class NonFiniteInputsTest {
    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;
    /** 3 x 4, with NaN, +Inf and -Inf in different rows and one clean row. */
    private static final float[] X = {
        0.5f, NAN, -1f, 2f,
        INF, -0.25f, 1.5f, -INF,
        0.1f, -0.2f, 0.3f, -0.4f};
    private static final float[] CLEAN = {
        0.3f, -0.7f, 1.1f, 0.2f,
        -0.5f, 0.9f, 0.4f, -1.2f,
        0.6f, 0.1f, -0.3f, 0.8f};
    private static final float[] PROBS = {
        0.3f, NAN, 0.9f, 0.2f,
        INF, 0.5f, 0.4f, 0.1f,
        0.6f, 0.1f, 0.7f, 0.8f};

    /**
     * Where a backend (or the reference) is known to differ from PyTorch, keyed by
     * {@code "backend: case"}. Such a case must still differ (it is reported as skipped, with the
     * reason, never as a pass); once it agrees, the test fails until the entry is removed. Each
     * is listed in docs/reliability.md.
     */
    static final java.util.Map<String, String> KNOWN = java.util.Map.of();

    /** One op run on a backend: returns every output, concatenated. */
    record Case(String name, Function<Backend, float[]> run) {
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (Activation act : Activation.values()) {
            c.add(new Case("activation " + act.id(), b -> {
                try (Tensor x = b.fromArray(X, 3, 4); Tensor y = b.zeros(3, 4)) {
                    b.activation(act, x, y);
                    return y.toFloatArray();
                }
            }));
            c.add(new Case("activationBackward " + act.id() + " (NaN/Inf in dy)", b -> {
                try (Tensor x = b.fromArray(CLEAN, 3, 4); Tensor y = b.zeros(3, 4); Tensor dy = b.fromArray(X, 3, 4);
                     Tensor dx = b.zeros(3, 4)) {
                    b.activation(act, x, y);
                    b.activationBackward(act, x, y, dy, dx);
                    return dx.toFloatArray();
                }
            }));
            if (!act.rowWise()) {
                // NaN/Inf in the forward input: ReLU's gradient passes through where y is NaN (PyTorch's
                // threshold_backward tests y <= 0), LeakyReLU's is the slope (x > 0 is false for NaN).
                c.add(new Case("activationBackward " + act.id() + " (NaN/Inf in x)", b -> {
                    try (Tensor x = b.fromArray(X, 3, 4); Tensor y = b.zeros(3, 4); Tensor dy = b.fromArray(CLEAN, 3, 4);
                         Tensor dx = b.zeros(3, 4)) {
                        b.activation(act, x, y);
                        b.activationBackward(act, x, y, dy, dx);
                        return dx.toFloatArray();
                    }
                }));
            }
        }
        c.add(new Case("gemm (NaN/Inf in A)", b -> {
            try (Tensor a = b.fromArray(X, 3, 4); Tensor w = b.fromArray(CLEAN, 4, 3); Tensor out = b.zeros(3, 3)) {
                b.gemm(false, false, 1f, a, w, 0f, out);
                return out.toFloatArray();
            }
        }));
        c.add(new Case("gemm beta = 0 ignores NaN in C", b -> {
            float[] nans = new float[9];
            java.util.Arrays.fill(nans, NAN);
            try (Tensor a = b.fromArray(CLEAN, 3, 4); Tensor w = b.fromArray(CLEAN, 4, 3); Tensor out = b.fromArray(nans, 3, 3)) {
                b.gemm(false, false, 1f, a, w, 0f, out);
                return out.toFloatArray();
            }
        }));
        c.add(new Case("biasAdd and biasGrad", b -> {
            try (Tensor x = b.fromArray(X, 3, 4); Tensor bias = b.fromArray(new float[] {1, NAN, INF, -INF}, 4);
                 Tensor y = b.zeros(3, 4); Tensor db = b.zeros(4)) {
                b.biasAdd(x, bias, y);
                b.biasGrad(x, db, 0f);
                return concat(y.toFloatArray(), db.toFloatArray());
            }
        }));
        for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            c.add(new Case("softmaxCrossEntropy " + red, b -> {
                try (Tensor x = b.fromArray(X, 3, 4); Tensor labels = b.labels(0, 2, 3); Tensor loss = b.zeros(1);
                     Tensor grad = b.zeros(3, 4)) {
                    b.softmaxCrossEntropy(x, labels, loss, grad, red, 0f);
                    return concat(loss.toFloatArray(), grad.toFloatArray());
                }
            }));
        }
        for (LossKind kind : LossKind.values()) {
            Reduction red = kind == LossKind.KL_DIV ? Reduction.BATCHMEAN : Reduction.MEAN;
            // BCE requires inputs in [0, 1] (PyTorch raises otherwise): its non-finite values go in the target.
            boolean bce = kind == LossKind.BCE;
            c.add(new Case("loss " + kind.id() + (bce ? " (NaN/Inf in target)" : " (NaN/Inf in input)"), b -> {
                try (Tensor x = b.fromArray(bce ? abs(CLEAN) : X, 3, 4);
                     Tensor t = b.fromArray(bce ? PROBS : kind == LossKind.KL_DIV ? abs(CLEAN) : CLEAN, 3, 4);
                     Tensor loss = b.zeros(1); Tensor grad = b.zeros(3, 4)) {
                    b.loss(kind, x, t, loss, grad, red);
                    return concat(loss.toFloatArray(), grad.toFloatArray());
                }
            }));
        }
        c.add(new Case("sgdStep (NaN/Inf in grad)", b -> {
            try (Tensor p = b.fromArray(CLEAN, 12); Tensor g = b.fromArray(X, 12); Tensor m = b.zeros(12)) {
                b.sgdStep(p, g, m, SgdParams.momentum(0.9f), 0.1f, 1);
                b.sgdStep(p, g, m, SgdParams.momentum(0.9f), 0.1f, 2);
                return concat(p.toFloatArray(), m.toFloatArray());
            }
        }));
        c.add(new Case("adamStep (NaN/Inf in grad)", b -> {
            try (Tensor p = b.fromArray(CLEAN, 12); Tensor g = b.fromArray(X, 12); Tensor m = b.zeros(12);
                 Tensor v = b.zeros(12); Tensor vmax = b.zeros(12)) {
                AdamParams ams = new AdamParams(0.9f, 0.999f, 1e-8f, 0f, true, false);
                b.adamStep(p, g, m, v, vmax, ams, 0.01f, 1);
                return concat(p.toFloatArray(), m.toFloatArray(), v.toFloatArray(), vmax.toFloatArray());
            }
        }));
        c.add(new Case("rmspropStep (NaN/Inf in grad)", b -> {
            try (Tensor p = b.fromArray(CLEAN, 12); Tensor g = b.fromArray(X, 12); Tensor sq = b.zeros(12);
                 Tensor ga = b.zeros(12); Tensor mb = b.zeros(12)) {
                b.rmspropStep(p, g, sq, ga, mb, new RmsPropParams(0.99f, 1e-8f, 0f, 0.9f, true), 0.01f, 1);
                return concat(p.toFloatArray(), sq.toFloatArray(), ga.toFloatArray(), mb.toFloatArray());
            }
        }));
        c.add(new Case("adagradStep (NaN/Inf in grad)", b -> {
            try (Tensor p = b.fromArray(CLEAN, 12); Tensor g = b.fromArray(X, 12); Tensor s = b.zeros(12)) {
                b.adagradStep(p, g, s, AdagradParams.defaults(), 0.01f, 1);
                return concat(p.toFloatArray(), s.toFloatArray());
            }
        }));
        c.add(new Case("argmax and countCorrect (NaN is the maximum)", b -> {
            try (Tensor x = b.fromArray(X, 3, 4); Tensor out = b.empty(dev.kiln.core.DType.I32, dev.kiln.core.Shape.of(3));
                 Tensor labels = b.labels(1, 0, 2); Tensor count = b.fromInts(new int[1], 1)) {
                b.argmax(x, out);
                b.countCorrect(x, labels, count);
                int[] idx = out.toIntArray();
                return new float[] {idx[0], idx[1], idx[2], count.intItem()};
            }
        }));
        for (NormKind kind : NormKind.values()) {
            c.add(new Case("norm " + kind + " with Inf, then with NaN", b -> {
                try (Tensor inf = b.fromArray(new float[] {1, -INF, 2}, 3); Tensor nan = b.fromArray(X, 12);
                     Tensor o1 = b.zeros(1); Tensor o2 = b.zeros(1)) {
                    b.norm(kind, inf, o1);
                    b.norm(kind, nan, o2);
                    return concat(o1.toFloatArray(), o2.toFloatArray());
                }
            }));
        }
        c.add(new Case("sum, scale, axpy, copy", b -> {
            try (Tensor x = b.fromArray(X, 12); Tensor s = b.zeros(1); Tensor y = b.fromArray(CLEAN, 12);
                 Tensor z = b.zeros(12); Tensor pinf = b.fromArray(new float[] {INF, INF, -INF}, 3); Tensor s2 = b.zeros(1)) {
                b.sum(x, s);
                b.sum(pinf, s2);
                b.axpy(2f, x, y);
                b.scale(x, 0f);
                b.copy(x, z);
                return concat(s.toFloatArray(), s2.toFloatArray(), y.toFloatArray(), z.toFloatArray());
            }
        }));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> nanAndInfinityPropagateLikeTheReference() {
        List<String> names = Available.names();
        return cases().stream().flatMap(c -> names.stream().map(name -> DynamicTest.dynamicTest(name + ": " + c.name(), () -> {
            float[] want;
            try (Backend ref = VerificationGrid.openReference()) {
                want = c.run().apply(ref);
            }
            float[] got;
            try (Backend b = Available.open(name)) {
                got = c.run().apply(b);
            }
            assertEquals(want.length, got.length);
            if (c.name().startsWith("loss l1")) {
                // torch.sign(NaN) is 0, so PyTorch's L1 gradient is 0 where input - target is NaN; the reference says NaN.
                for (int i = 0; i < X.length; i++) {
                    if (Float.isNaN(X[i] - CLEAN[i])) {
                        want[1 + i] = 0f;
                    }
                }
            }
            String key = name + ": " + c.name();
            String mismatch = null;
            boolean anyNonFinite = false;
            for (int i = 0; i < want.length && mismatch == null; i++) {
                anyNonFinite |= !Float.isFinite(want[i]);
                boolean same = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                        : Float.isInfinite(want[i]) ? Float.compare(want[i], got[i]) == 0
                        : Math.abs(got[i] - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i]));
                if (!same) {
                    mismatch = c.name() + " on " + name + ": element " + i + " is " + got[i] + ", PyTorch gives " + want[i]
                            + "\n got  " + java.util.Arrays.toString(got) + "\n want " + java.util.Arrays.toString(want);
                }
            }
            if (mismatch != null && KNOWN.containsKey(key)) {
                Assumptions.abort("known divergence from PyTorch (docs/reliability.md): " + KNOWN.get(key) + "\n" + mismatch);
            }
            if (mismatch != null) {
                fail(mismatch);
            }
            if (KNOWN.containsKey(key)) {
                fail(key + " is listed as a known divergence but now agrees with PyTorch: remove it from KNOWN and docs/reliability.md");
            }
            if (!c.name().contains("ignores NaN") && !c.name().contains("argmax") && !c.name().contains("relu (NaN")) {
                assertTrue(anyNonFinite, c.name() + ": the case should exercise non-finite outputs");
            }
        })));
    }

    /**
     * BCE of an input outside [0, 1]: PyTorch raises (and the float64 reference with it); the
     * backends cannot see values without a device round trip, so they return NaN: never a crash,
     * never a finite loss. docs/reliability.md lists this difference.
     */
    @TestFactory
    Stream<DynamicTest> bceOfANaNInputIsANaNLossNotACrash() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            try (Backend b = Available.open(name); Tensor x = b.fromArray(PROBS, 3, 4); Tensor t = b.fromArray(abs(CLEAN), 3, 4);
                 Tensor loss = b.zeros(1); Tensor grad = b.zeros(3, 4)) {
                b.loss(LossKind.BCE, x, t, loss, grad, Reduction.MEAN);
                String key = name + ": bce NaN input";
                if (!Float.isNaN(loss.item()) && KNOWN.containsKey(key)) {
                    Assumptions.abort("known divergence (docs/reliability.md): " + KNOWN.get(key) + "; loss " + loss.item());
                }
                if (Float.isNaN(loss.item()) && KNOWN.containsKey(key)) {
                    fail(key + " is listed as a known divergence but now gives NaN: remove it from KNOWN");
                }
                assertTrue(Float.isNaN(loss.item()), "loss " + loss.item());
                float[] g = grad.toFloatArray();
                assertTrue(Float.isNaN(g[1]), "the gradient of the NaN element is NaN: " + g[1]);
                assertTrue(Float.isFinite(g[0]) && Float.isFinite(g[11]), "other gradients stay finite");
            }
            try (Backend ref = VerificationGrid.openReference(); Tensor x = ref.fromArray(PROBS, 3, 4);
                 Tensor t = ref.fromArray(abs(CLEAN), 3, 4); Tensor loss = ref.zeros(1)) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> ref.loss(LossKind.BCE, x, t, loss, null, Reduction.MEAN));
                assertTrue(e.getMessage().contains("outside [0, 1]"), e.getMessage());
            }
        }));
    }

    private static float[] abs(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.min(1f, Math.abs(v[i]));
        }
        return r;
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] r = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }
}
