package dev.kiln.core.verify;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
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
import dev.kiln.core.reference.ReferenceEngine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Cross-validates a backend against the float64 reference: every op of the SPI, in its variants,
 * on a grid of shapes, with identical seeded random inputs on both sides, each result held to
 * {@link Tolerance}. {@code kiln verify} prints it; the testkit's conformance suite asserts it.
 *
 * <p>Shapes ({@link #SHAPES}): GEMM runs {@code m x k x n} = 1x1x1, 33x17x65 (odd sizes that
 * match no tile), the MNIST MLP's 64x784x128, 64x128x64 and 64x64x10, and 1024x1024x1024; every
 * other op runs on the {@code m x n} of the same shape (1x1, 33x65, 64x128, 64x64, 64x10,
 * 1024x1024). Quick mode leaves out the 1024 shape.
 *
 * <p>Inputs are a pure function of the op and shape, so a failing row reproduces alone. Every
 * tensor a case makes is closed when it returns.
 */
public final class VerificationGrid {
    /** One shape of the grid: GEMM is {@code m x k x n}; other ops run on {@code m x n}. */
    public record GridShape(int m, int k, int n, boolean large) {
        /** Like {@code 64x784x128}. */
        public String gemmLabel() {
            return m + "x" + k + "x" + n;
        }

        /** Like {@code 64x128}. */
        public String matrixLabel() {
            return m + "x" + n;
        }
    }

    /** The shapes of the grid, the large one last. */
    public static final List<GridShape> SHAPES = List.of(
            new GridShape(1, 1, 1, false),
            new GridShape(33, 17, 65, false),
            new GridShape(64, 784, 128, false),
            new GridShape(64, 128, 64, false),
            new GridShape(64, 64, 10, false),
            new GridShape(1024, 1024, 1024, true));

    /** Optimizer cases run this many steps, with a learning rate that decays 0.9x per step. */
    static final int OPTIMIZER_STEPS = 3;

    private VerificationGrid() {
    }

    /** Opens the float64 reference behind a front door of its own; the caller closes it. */
    public static Backend openReference() {
        return new Backend("reference", new ReferenceEngine(), LeakDetection.fromSystemProperty());
    }

    /**
     * Runs the whole grid on {@code backend} against a reference it opens and closes, handing each
     * result to {@code progress} (may be null) as soon as it is known. This is {@code kiln verify}.
     */
    public static List<VerificationResult> run(Backend backend, boolean quick, Consumer<VerificationResult> progress) {
        try (Backend reference = openReference()) {
            return run(backend, reference, quick, progress);
        }
    }

    /**
     * Runs the whole grid on {@code backend} against {@code reference}, in {@link #cases} order,
     * handing each result to {@code progress} (may be null) as soon as it is known.
     */
    public static List<VerificationResult> run(Backend backend, Backend reference, boolean quick,
                                               Consumer<VerificationResult> progress) {
        List<VerificationResult> out = new ArrayList<>();
        for (VerificationCase c : cases(quick)) {
            VerificationResult r = c.run(backend, reference);
            out.add(r);
            if (progress != null) {
                progress.accept(r);
            }
        }
        return out;
    }

    /** Whether every result passed. */
    public static boolean allPassed(List<VerificationResult> results) {
        return results.stream().allMatch(VerificationResult::passed);
    }

    /** The results as a fixed-width text table (op, shape, max abs, max rel, verdict, tolerance). */
    public static String table(List<VerificationResult> results) {
        int opW = "op".length();
        int shapeW = "shape".length();
        for (VerificationResult r : results) {
            opW = Math.max(opW, r.op().length());
            shapeW = Math.max(shapeW, r.shape().length());
        }
        String fmt = "%-" + opW + "s  %-" + shapeW + "s  %10s  %10s  %-4s  %s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, fmt, "op", "shape", "max abs", "max rel", "", "tolerance"));
        for (VerificationResult r : results) {
            sb.append(String.format(Locale.ROOT, fmt, r.op(), r.shape(), num(r.maxAbsError()), num(r.maxRelError()),
                    r.passed() ? "ok" : "FAIL", r.tolerance()));
            if (!r.passed()) {
                sb.append("    ").append(r.detail()).append(System.lineSeparator());
            }
        }
        long failed = results.stream().filter(r -> !r.passed()).count();
        sb.append(results.size() - failed).append(" of ").append(results.size()).append(" passed")
                .append(System.lineSeparator());
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2e", v) : Double.toString(v);
    }

    /**
     * The grid's cases, grouped by op (in SPI order) and within an op by shape; without the
     * 1024 shape when {@code quick}.
     */
    public static List<VerificationCase> cases(boolean quick) {
        Map<String, List<VerificationCase>> byOp = new LinkedHashMap<>();
        for (GridShape s : SHAPES) {
            if (quick && s.large()) {
                continue;
            }
            for (VerificationCase c : casesFor(s)) {
                byOp.computeIfAbsent(c.op(), k -> new ArrayList<>()).add(c);
            }
        }
        List<VerificationCase> out = new ArrayList<>();
        byOp.values().forEach(out::addAll);
        return List.copyOf(out);
    }

    private static List<VerificationCase> casesFor(GridShape s) {
        List<VerificationCase> c = new ArrayList<>();
        // A naive float64 1024^3 GEMM costs the reference seconds, so the large shape runs one
        // combination: NT, which is what a Linear layer's forward pass (x W^T) uses, and also the
        // one whose dot products the reference reads contiguously (NN would take it ~10x longer).
        // Every combination runs on the other shapes.
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                if (!s.large() || (!ta && tb)) {
                    c.add(gemm(s, ta, tb, 1.5f, 0.5f, false));
                }
            }
        }
        if (!s.large()) {
            c.add(gemm(s, false, false, 1f, 0f, true));
        }
        c.add(biasAdd(s, false));
        c.add(biasAdd(s, true));
        c.add(biasGrad(s, 0f));
        c.add(biasGrad(s, 0.5f));
        for (Activation a : Activation.values()) {
            c.add(activation(s, a, false));
            if (!a.rowWise()) {
                c.add(activation(s, a, true));
            }
        }
        for (Activation a : Activation.values()) {
            c.add(activationBackward(s, a, false));
            c.add(activationBackward(s, a, true));
        }
        for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            c.add(softmaxCrossEntropy(s, r, 0f, true));
            c.add(softmaxCrossEntropy(s, r, 0.1f, true));
        }
        c.add(softmaxCrossEntropy(s, Reduction.MEAN, 0f, false));
        for (LossKind k : LossKind.values()) {
            c.add(loss(s, k, Reduction.MEAN));
            c.add(loss(s, k, Reduction.SUM));
            if (k == LossKind.KL_DIV) {
                c.add(loss(s, k, Reduction.BATCHMEAN));
            }
        }
        c.addAll(optimizers(s));
        c.add(argmax(s));
        c.add(countCorrect(s));
        c.add(fill(s));
        c.add(fillInt(s));
        c.add(copy(s, DType.F32));
        c.add(copy(s, DType.I32));
        c.add(scale(s));
        c.add(axpy(s));
        for (NormKind k : NormKind.values()) {
            c.add(norm(s, k));
        }
        c.add(sum(s));
        return c;
    }

    // ================================================================ GEMM and bias

    private static VerificationCase gemm(GridShape s, boolean ta, boolean tb, float alpha, float beta,
                                         boolean nanC) {
        String op = "gemm " + (ta ? "T" : "N") + (tb ? "T" : "N")
                + (nanC ? " a=1 b=0 (C holds NaN)" : " a=" + fmt(alpha) + " b=" + fmt(beta));
        String label = s.gemmLabel();
        int m = s.m();
        int k = s.k();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] a = uniform(rng, m * k, -1, 1);
            float[] b = uniform(rng, k * n, -1, 1);
            float[] c = nanC ? filled(m * n, Float.NaN) : uniform(rng, m * n, -1, 1);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor ta2 = be.fromArray(a, ta ? k : m, ta ? m : k);
                Tensor tb2 = be.fromArray(b, tb ? n : k, tb ? k : n);
                Tensor tc = be.fromArray(c, m, n);
                be.gemm(ta, tb, alpha, ta2, tb2, beta, tc);
                return tc.toFloatArray();
            });
            double[] mag = gemmMagnitude(a, b, c, ta, tb, m, k, n, alpha, beta);
            tally.compareBy("C", out.test, out.ref, n, i -> Tolerance.gemm(k, mag[i]), Tolerance.GEMM);
        });
    }

    /** {@code |alpha| (|op(A)| |op(B)|)_ij + |beta| |C_ij|} in double, the scale of the GEMM bound. */
    static double[] gemmMagnitude(float[] a, float[] b, float[] c, boolean ta, boolean tb, int m, int k, int n,
                                  float alpha, float beta) {
        double[] absB = new double[k * n];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                absB[p * n + j] = Math.abs(tb ? b[j * k + p] : b[p * n + j]);
            }
        }
        double[] mag = new double[m * n];
        double aa = Math.abs((double) alpha);
        for (int i = 0; i < m; i++) {
            int row = i * n;
            for (int p = 0; p < k; p++) {
                double av = aa * Math.abs(ta ? a[p * m + i] : a[i * k + p]);
                if (av == 0) {
                    continue;
                }
                int off = p * n;
                for (int j = 0; j < n; j++) {
                    mag[row + j] += av * absB[off + j];
                }
            }
        }
        if (beta != 0) {
            double ab = Math.abs((double) beta);
            for (int i = 0; i < mag.length; i++) {
                mag[i] += ab * Math.abs(c[i]);
            }
        }
        return mag;
    }

    private static VerificationCase biasAdd(GridShape s, boolean inPlace) {
        String op = inPlace ? "biasAdd in place" : "biasAdd";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] x = uniform(rng, m * n, -2, 2);
            float[] bias = uniform(rng, n, -1, 1);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor tbias = be.fromArray(bias, n);
                Tensor ty = inPlace ? tx : be.empty(DType.F32, Shape.of(m, n));
                be.biasAdd(tx, tbias, ty);
                return ty.toFloatArray();
            });
            tally.elementwise("y", out.test, out.ref, n);
        });
    }

    private static VerificationCase biasGrad(GridShape s, float beta) {
        String op = beta == 0 ? "biasGrad b=0 (db holds NaN)" : "biasGrad b=" + fmt(beta);
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] dy = uniform(rng, m * n, -1, 1);
            float[] db = beta == 0 ? filled(n, Float.NaN) : uniform(rng, n, -1, 1);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tdy = be.fromArray(dy, m, n);
                Tensor tdb = be.fromArray(db, n);
                be.biasGrad(tdy, tdb, beta);
                return tdb.toFloatArray();
            });
            // A column sum is a GEMM with a ones vector: the same bound with K = rows.
            double[] mag = new double[n];
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < n; j++) {
                    mag[j] += Math.abs(dy[r * n + j]);
                }
            }
            if (beta != 0) {
                for (int j = 0; j < n; j++) {
                    mag[j] += Math.abs(beta) * Math.abs(db[j]);
                }
            }
            tally.compareBy("db", out.test, out.ref, 1, j -> Tolerance.gemm(m, mag[j]), Tolerance.COLUMN_SUM);
        });
    }

    // ================================================================ activations

    /** LeakyReLU runs with a slope other than the default, so an engine that ignores it is caught. */
    static final float LEAKY_SLOPE = 0.1f;

    private static String actName(Activation a) {
        return a == Activation.LEAKY_RELU ? a.id() + "(" + fmt(LEAKY_SLOPE) + ")" : a.id();
    }

    /** Activation inputs: uniform in [-4, 4], with the kink (0) and the saturated tails (+-25). */
    private static float[] activationInput(SplittableRandom rng, int size) {
        float[] x = uniform(rng, size, -4, 4);
        if (size >= 8) {
            x[0] = 0f;
            x[size / 2] = 25f; // softplus' threshold (20) and the saturated sigmoid / tanh
            x[size - 1] = -25f;
        }
        return x;
    }

    private static VerificationCase activation(GridShape s, Activation act, boolean inPlace) {
        String op = "activation " + actName(act) + (inPlace ? " in place" : "");
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        float param = act == Activation.LEAKY_RELU ? LEAKY_SLOPE : 0f;
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            float[] x = activationInput(rng(op, label), m * n);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor ty = inPlace ? tx : be.empty(DType.F32, Shape.of(m, n));
                be.activation(act, param, tx, ty);
                return ty.toFloatArray();
            });
            tally.elementwise("y", out.test, out.ref, n);
        });
    }

    private static VerificationCase activationBackward(GridShape s, Activation act, boolean inPlace) {
        String op = "activationBackward " + actName(act) + (inPlace ? " in place" : "");
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        float param = act == Activation.LEAKY_RELU ? LEAKY_SLOPE : 0f;
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] x = activationInput(rng, m * n);
            float[] dy = uniform(rng, m * n, -1, 1);
            // Both sides get the reference's forward output, so only the backward op is compared.
            float[] y = onScope(ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor ty = be.empty(DType.F32, Shape.of(m, n));
                be.activation(act, param, tx, ty);
                return ty.toFloatArray();
            });
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor ty = be.fromArray(y, m, n);
                Tensor tdy = be.fromArray(dy, m, n);
                Tensor tdx = inPlace ? tdy : be.empty(DType.F32, Shape.of(m, n));
                be.activationBackward(act, param, tx, ty, tdy, tdx);
                return tdx.toFloatArray();
            });
            tally.elementwise("dx", out.test, out.ref, n);
        });
    }

    // ================================================================ losses

    private static VerificationCase softmaxCrossEntropy(GridShape s, Reduction red, float smoothing,
                                                        boolean withGrad) {
        String op = "softmaxCrossEntropy " + red.name().toLowerCase(Locale.ROOT)
                + (smoothing != 0 ? " ls=" + fmt(smoothing) : "") + (withGrad ? "" : " (loss only)");
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] logits = uniform(rng, m * n, -4, 4);
            int[] labels = ints(rng, m, n);
            Pair<float[][]> out = both(test, ref, be -> {
                Tensor tl = be.fromArray(logits, m, n);
                Tensor tlab = be.fromInts(labels, m);
                Tensor loss = be.empty(DType.F32, Shape.of(1));
                Tensor grad = withGrad ? be.empty(DType.F32, Shape.of(m, n)) : null;
                be.softmaxCrossEntropy(tl, tlab, loss, grad, red, smoothing);
                return new float[][] {loss.toFloatArray(), grad == null ? new float[0] : grad.toFloatArray()};
            });
            tally.reduction("loss", out.test[0], out.ref[0]);
            if (withGrad) {
                tally.elementwise("grad", out.test[1], out.ref[1], n);
            }
        });
    }

    private static VerificationCase loss(GridShape s, LossKind kind, Reduction red) {
        String op = "loss " + kind.id() + " " + red.name().toLowerCase(Locale.ROOT);
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[][] it = lossInputs(kind, rng, m, n);
            Pair<float[][]> out = both(test, ref, be -> {
                Tensor ti = be.fromArray(it[0], m, n);
                Tensor tt = be.fromArray(it[1], m, n);
                Tensor loss = be.empty(DType.F32, Shape.of(1));
                Tensor grad = be.empty(DType.F32, Shape.of(m, n));
                be.loss(kind, ti, tt, loss, grad, red);
                return new float[][] {loss.toFloatArray(), grad.toFloatArray()};
            });
            tally.reduction("loss", out.test[0], out.ref[0]);
            tally.elementwise("grad", out.test[1], out.ref[1], n);
        });
    }

    /** Input and target in each loss's domain, chosen so the reduced loss is well-conditioned. */
    private static float[][] lossInputs(LossKind kind, SplittableRandom rng, int m, int n) {
        int size = m * n;
        switch (kind) {
            case MSE: {
                return new float[][] {uniform(rng, size, -2, 2), uniform(rng, size, -2, 2)};
            }
            case L1: {
                float[] x = uniform(rng, size, -2, 2);
                float[] t = uniform(rng, size, -2, 2);
                for (int i = 0; i < size; i += 7) {
                    t[i] = x[i]; // where input equals target the gradient is 0
                }
                return new float[][] {x, t};
            }
            case BCE: {
                float[] x = uniform(rng, size, 0.01, 0.99);
                float[] t = uniform(rng, size, 0, 1);
                for (int i = 0; i < size; i += 5) {
                    t[i] = (i / 5) % 2; // hard 0/1 targets too
                }
                return new float[][] {x, t};
            }
            case BCE_WITH_LOGITS: {
                return new float[][] {uniform(rng, size, -4, 4), uniform(rng, size, 0, 1)};
            }
            case KL_DIV: {
                // input: log-probabilities; target: probabilities with some exact zeros, rows summing to 1,
                // so that each row's divergence is >= 0 and the sum is well-conditioned.
                float[] x = new float[size];
                float[] t = new float[size];
                for (int r = 0; r < m; r++) {
                    double[] lx = new double[n];
                    double[] pt = new double[n];
                    double maxX = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        lx[j] = rng.nextDouble(-2, 2);
                        maxX = Math.max(maxX, lx[j]);
                        pt[j] = (n > 1 && (r + j) % 9 == 0) ? 0 : Math.exp(rng.nextDouble(-2, 2));
                    }
                    double zx = 0;
                    double zt = 0;
                    for (int j = 0; j < n; j++) {
                        zx += Math.exp(lx[j] - maxX);
                        zt += pt[j];
                    }
                    for (int j = 0; j < n; j++) {
                        x[r * n + j] = (float) (lx[j] - maxX - Math.log(zx));
                        t[r * n + j] = (float) (pt[j] / zt);
                    }
                }
                return new float[][] {x, t};
            }
            default:
                throw new IllegalStateException("no inputs for " + kind);
        }
    }

    // ================================================================ optimizers

    /** One optimizer step on a backend: param, grad, the state tensors, lr, 1-based step. */
    @FunctionalInterface
    private interface Stepper {
        void step(Backend b, Tensor param, Tensor grad, Tensor[] state, float lr, long step);
    }

    private static List<VerificationCase> optimizers(GridShape s) {
        List<VerificationCase> c = new ArrayList<>();
        // SGD's momentum buffer is initialised from the gradient on step 1, not read: NaN proves it.
        SgdParams plain = SgdParams.plain();
        c.add(optimizer(s, "sgd", 0.1f, new String[0], new float[0],
                (b, p, g, st, lr, t) -> b.sgdStep(p, g, null, plain, lr, t)));
        for (SgdParams sp : new SgdParams[] {SgdParams.momentum(0.9f), new SgdParams(0.9f, 0f, 0f, true),
                new SgdParams(0.9f, 0.1f, 0.01f, false)}) {
            String name = "sgd momentum=0.9" + (sp.nesterov() ? " nesterov" : "")
                    + (sp.dampening() != 0 ? " dampening=0.1 wd=0.01" : "");
            c.add(optimizer(s, name, 0.1f, new String[] {"momentumBuf"}, new float[] {Float.NaN},
                    (b, p, g, st, lr, t) -> b.sgdStep(p, g, st[0], sp, lr, t)));
        }
        for (AdamParams ap : new AdamParams[] {AdamParams.adam(), AdamParams.adam().withWeightDecay(0.1f),
                AdamParams.adam().withAmsgrad(true), AdamParams.adamW().withWeightDecay(0.1f)}) {
            String name = (ap.decoupled() ? "adamw" : "adam") + (ap.weightDecay() != 0 ? " wd=0.1" : "")
                    + (ap.amsgrad() ? " amsgrad" : "");
            String[] states = ap.amsgrad() ? new String[] {"expAvg", "expAvgSq", "maxExpAvgSq"}
                    : new String[] {"expAvg", "expAvgSq"};
            c.add(optimizer(s, name, 0.01f, states, new float[states.length],
                    (b, p, g, st, lr, t) -> b.adamStep(p, g, st[0], st[1], ap.amsgrad() ? st[2] : null, ap, lr, t)));
        }
        RmsPropParams rp = RmsPropParams.defaults();
        c.add(optimizer(s, "rmsprop", 0.01f, new String[] {"squareAvg"}, new float[1],
                (b, p, g, st, lr, t) -> b.rmspropStep(p, g, st[0], null, null, rp, lr, t)));
        RmsPropParams rc = new RmsPropParams(0.99f, 1e-8f, 0.01f, 0.9f, true);
        c.add(optimizer(s, "rmsprop centered momentum=0.9 wd=0.01", 0.01f,
                new String[] {"squareAvg", "gradAvg", "momentumBuf"}, new float[3],
                (b, p, g, st, lr, t) -> b.rmspropStep(p, g, st[0], st[1], st[2], rc, lr, t)));
        AdagradParams ad = AdagradParams.defaults();
        c.add(optimizer(s, "adagrad", 0.1f, new String[] {"stateSum"}, new float[] {ad.initialAccumulatorValue()},
                (b, p, g, st, lr, t) -> b.adagradStep(p, g, st[0], ad, lr, t)));
        AdagradParams ad2 = new AdagradParams(0.01f, 1e-10f, 0.01f, 0.1f);
        c.add(optimizer(s, "adagrad lrDecay=0.01 wd=0.01 init=0.1", 0.1f, new String[] {"stateSum"},
                new float[] {ad2.initialAccumulatorValue()},
                (b, p, g, st, lr, t) -> b.adagradStep(p, g, st[0], ad2, lr, t)));
        return c;
    }

    private static VerificationCase optimizer(GridShape s, String name, float lr0, String[] stateNames,
                                              float[] stateInit, Stepper stepper) {
        String op = name + " x" + OPTIMIZER_STEPS + " steps";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] param = uniform(rng, m * n, -1, 1);
            float[][] grads = new float[OPTIMIZER_STEPS][];
            for (int t = 0; t < OPTIMIZER_STEPS; t++) {
                grads[t] = uniform(rng, m * n, -1, 1);
            }
            Pair<float[][]> out = both(test, ref, be -> {
                Tensor p = be.fromArray(param, m, n);
                Tensor g = be.empty(DType.F32, Shape.of(m, n));
                Tensor[] st = new Tensor[stateNames.length];
                for (int i = 0; i < st.length; i++) {
                    st[i] = be.empty(DType.F32, Shape.of(m, n));
                    be.fill(st[i], stateInit[i]);
                }
                for (int t = 1; t <= OPTIMIZER_STEPS; t++) {
                    g.copyFrom(grads[t - 1]);
                    stepper.step(be, p, g, st, (float) (lr0 * Math.pow(0.9, t - 1)), t);
                }
                float[][] res = new float[1 + st.length][];
                res[0] = p.toFloatArray();
                for (int i = 0; i < st.length; i++) {
                    res[1 + i] = st[i].toFloatArray();
                }
                return res;
            });
            tally.accumulated("param", out.test[0], out.ref[0], n);
            for (int i = 0; i < stateNames.length; i++) {
                tally.accumulated(stateNames[i], out.test[1 + i], out.ref[1 + i], n);
            }
        });
    }

    // ================================================================ reductions and utilities

    private static VerificationCase argmax(GridShape s) {
        String op = "argmax";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            float[] x = uniform(rng(op, label), m * n, -1, 1);
            // Ties in every third row: the first maximum wins.
            for (int r = 0; r < m && n >= 2; r += 3) {
                x[r * n + (r % (n - 1))] = 2f;
                x[r * n + n - 1] = 2f;
            }
            Pair<int[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor idx = be.empty(DType.I32, Shape.of(m));
                be.argmax(tx, idx);
                return idx.toIntArray();
            });
            tally.exact("index", out.test, out.ref, 1);
        });
    }

    private static VerificationCase countCorrect(GridShape s) {
        String op = "countCorrect";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] logits = uniform(rng, m * n, -1, 1);
            int[] labels = ints(rng, m, n);
            for (int r = 0; r < m; r += 2) {
                // Half the rows right on purpose, so the count is neither 0 nor chance.
                int best = 0;
                for (int j = 1; j < n; j++) {
                    if (logits[r * n + j] > logits[r * n + best]) {
                        best = j;
                    }
                }
                labels[r] = best;
            }
            Pair<int[]> out = both(test, ref, be -> {
                Tensor tl = be.fromArray(logits, m, n);
                Tensor tlab = be.fromInts(labels, m);
                Tensor counter = be.empty(DType.I32, Shape.of(1));
                be.fillInt(counter, 5); // the op adds to the counter
                be.countCorrect(tl, tlab, counter);
                return counter.toIntArray();
            });
            tally.exact("count", out.test, out.ref, 1);
        });
    }

    private static VerificationCase fill(GridShape s) {
        String op = "fill 0.75";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            Pair<float[]> out = both(test, ref, be -> {
                Tensor x = be.empty(DType.F32, Shape.of(m, n));
                be.fill(x, 0.75f);
                return x.toFloatArray();
            });
            tally.exact("x", out.test, out.ref, n);
        });
    }

    private static VerificationCase fillInt(GridShape s) {
        String op = "fillInt 42";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            Pair<int[]> out = both(test, ref, be -> {
                Tensor x = be.empty(DType.I32, Shape.of(m, n));
                be.fillInt(x, 42);
                return x.toIntArray();
            });
            tally.exact("x", out.test, out.ref, n);
        });
    }

    private static VerificationCase copy(GridShape s, DType dtype) {
        String op = "copy " + dtype;
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            if (dtype == DType.F32) {
                float[] x = uniform(rng, m * n, -1, 1);
                Pair<float[]> out = both(test, ref, be -> {
                    Tensor src = be.fromArray(x, m, n);
                    Tensor dst = be.empty(DType.F32, Shape.of(m, n));
                    be.copy(src, dst);
                    return dst.toFloatArray();
                });
                tally.exact("dst", out.test, out.ref, n);
            } else {
                int[] x = new int[m * n];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rng.nextInt();
                }
                Pair<int[]> out = both(test, ref, be -> {
                    Tensor src = be.fromInts(x, m, n);
                    Tensor dst = be.empty(DType.I32, Shape.of(m, n));
                    be.copy(src, dst);
                    return dst.toIntArray();
                });
                tally.exact("dst", out.test, out.ref, n);
            }
        });
    }

    private static VerificationCase scale(GridShape s) {
        String op = "scale 0.37";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            float[] x = uniform(rng(op, label), m * n, -2, 2);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                be.scale(tx, 0.37f);
                return tx.toFloatArray();
            });
            tally.elementwise("x", out.test, out.ref, n);
        });
    }

    private static VerificationCase axpy(GridShape s) {
        String op = "axpy -0.6";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            SplittableRandom rng = rng(op, label);
            float[] x = uniform(rng, m * n, -2, 2);
            float[] y = uniform(rng, m * n, -2, 2);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor ty = be.fromArray(y, m, n);
                be.axpy(-0.6f, tx, ty);
                return ty.toFloatArray();
            });
            tally.elementwise("y", out.test, out.ref, n);
        });
    }

    private static VerificationCase norm(GridShape s, NormKind kind) {
        String op = "norm " + kind;
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            float[] x = uniform(rng(op, label), m * n, -1, 1);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor r = be.empty(DType.F32, Shape.of(1));
                be.norm(kind, tx, r);
                return r.toFloatArray();
            });
            tally.reduction("norm", out.test, out.ref);
        });
    }

    private static VerificationCase sum(GridShape s) {
        String op = "sum";
        String label = s.matrixLabel();
        int m = s.m();
        int n = s.n();
        return new VerificationCase(op, label, s.large(), (test, ref, tally) -> {
            // Mean 0.5, so the sum does not cancel and a relative bound is fair.
            float[] x = uniform(rng(op, label), m * n, -0.5, 1.5);
            Pair<float[]> out = both(test, ref, be -> {
                Tensor tx = be.fromArray(x, m, n);
                Tensor r = be.empty(DType.F32, Shape.of(1));
                be.sum(tx, r);
                return r.toFloatArray();
            });
            tally.reduction("sum", out.test, out.ref);
        });
    }

    // ================================================================ plumbing

    /** The same computation's result on the backend under test and on the reference. */
    private record Pair<T>(T test, T ref) {
    }

    /** Runs {@code fn} on the reference, then on the backend under test, each in its own tensor scope. */
    private static <T> Pair<T> both(Backend test, Backend ref, Function<Backend, T> fn) {
        T r = onScope(ref, fn);
        T t = onScope(test, fn);
        return new Pair<>(t, r);
    }

    /** Runs {@code fn} with a scope open, so every tensor it makes is closed, also when it throws. */
    @SuppressWarnings("try") // the scope is opened only to close what fn makes
    private static <T> T onScope(Backend b, Function<Backend, T> fn) {
        try (TensorScope ignored = b.scope()) {
            return fn.apply(b);
        }
    }

    /** The inputs of a case depend only on its op and shape. */
    static SplittableRandom rng(String op, String shape) {
        return new SplittableRandom(0x4B494C4E_00000000L ^ (op + "@" + shape).hashCode());
    }

    private static float[] uniform(SplittableRandom rng, int size, double lo, double hi) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rng.nextDouble(lo, hi);
        }
        return x;
    }

    private static int[] ints(SplittableRandom rng, int size, int bound) {
        int[] x = new int[size];
        for (int i = 0; i < size; i++) {
            x[i] = rng.nextInt(bound);
        }
        return x;
    }

    private static float[] filled(int size, float v) {
        float[] x = new float[size];
        Arrays.fill(x, v);
        return x;
    }

    private static String fmt(float v) {
        String s = Float.toString(v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
