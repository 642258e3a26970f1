package dev.kiln.core.crosscheck;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link ComputeEngine} decorator that runs every op on a primary engine and on a checker
 * (usually the float64 {@link dev.kiln.core.reference.ReferenceEngine}) and stops at the first
 * divergence with a {@link KilnException} naming the op, its dimensions, the index and both values.
 * Behind {@code -Dkiln.crosscheck=reference|cpu|...}.
 *
 * <p><b>Each op is checked on identical inputs.</b> After every op the primary's outputs are
 * copied into the checker's buffers, so the checker's state always equals the primary's. Without
 * that, float32 rounding would make the two drift apart over a training run (as it legitimately
 * does) and the guard would fire on accumulated noise instead of on a wrong kernel; with it, any
 * difference is the error of that one op, which the tolerances below bound.
 *
 * <p><b>Tolerances</b>, per output element with {@code ref} the checker's value:
 * <ul>
 *   <li>Elementwise results: {@code |got - ref| <= ATOL + RTOL (|ref| + extra)}, ATOL 1e-5 and
 *       RTOL 1e-4 (loose for a runtime guard: a float32 kernel is typically within a few ulps,
 *       a wrong one is off by O(1)). {@code extra} is the magnitude of the terms that the op adds,
 *       where cancellation can leave a small result with an error relative to larger terms: the
 *       old value of in-place outputs (optimizer state, axpy), {@code |alpha x|} for axpy, and the
 *       row sums that softmax and log-softmax backward subtract.
 *   <li>Sums (loss values, sum, norms, bias gradient): the same, with {@code extra} the sum of the
 *       magnitudes of the summed terms, since any summation order's error is bounded relative to
 *       that, not to the result.
 *   <li>GEMM: {@code |got - ref| <= (k + 3) 1e-6 (|alpha| sum_l |a_il b_lj| + |beta c_ij|) + 1e-30}.
 *       The classical bound for a k-term dot product in any order is {@code k u sum|a b|} with
 *       {@code u = 2^-24 ~ 6e-8}; 1e-6 (about 16u) leaves room for blocking, FMA and the final
 *       rounding, while an indexing or transpose bug is off by O(sum|a b|).
 *   <li>argmax, countCorrect, fill and copy of ints: exact, since the inputs are identical.
 * </ul>
 * NaN agrees with NaN and an infinity with the same infinity.
 *
 * <p>It is slow (every op runs twice and every output is read back); it is a debugging aid.
 */
public final class CrossCheckEngine implements ComputeEngine {
    /** Absolute tolerance of elementwise comparisons. */
    public static final double ATOL = 1e-5;
    /** Relative tolerance of elementwise comparisons. */
    public static final double RTOL = 1e-4;
    /** Per-term factor of the GEMM bound, about 16 float32 unit roundoffs. */
    public static final double GEMM_UNIT = 1e-6;

    private final ComputeEngine primary;
    private final ComputeEngine checker;
    private final String primaryName;
    private final String checkerName;
    private final DeviceInfo device;
    private long opCount;

    /** Checks {@code primary} against {@code checker}; this engine owns and closes both. */
    public CrossCheckEngine(ComputeEngine primary, ComputeEngine checker) {
        if (primary == null || checker == null) {
            throw new IllegalArgumentException("cross-check needs a primary and a checker engine");
        }
        this.primary = primary;
        this.checker = checker;
        DeviceInfo p = primary.device();
        this.primaryName = p.backend();
        this.checkerName = checker.device().backend();
        Map<String, String> props = new LinkedHashMap<>(p.properties());
        props.put("crosscheck", checker.device().spec() + " (" + checker.device().name() + ")");
        this.device = new DeviceInfo(p.backend(), p.index(), p.name(), p.type(), p.memoryBytes(), props);
    }

    /** A pair of buffers, one per engine. */
    private record Pair(DeviceBuffer p, DeviceBuffer c, DType dtype, int elements) implements DeviceBuffer {
    }

    private static DeviceBuffer p(DeviceBuffer b) {
        return b == null ? null : ((Pair) b).p();
    }

    private static DeviceBuffer c(DeviceBuffer b) {
        return b == null ? null : ((Pair) b).c();
    }

    /** How many ops have been checked, for tests and diagnostics. */
    public long opsChecked() {
        return opCount;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    // ================================================================ memory

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        DeviceBuffer a = primary.allocate(dtype, elements);
        DeviceBuffer b;
        try {
            b = checker.allocate(dtype, elements);
        } catch (RuntimeException e) {
            primary.free(a);
            throw e;
        }
        return new Pair(a, b, dtype, elements);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        primary.free(p(buffer));
        checker.free(c(buffer));
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        primary.upload(src, srcOffset, p(dst), dstOffset, count);
        checker.upload(src, srcOffset, c(dst), dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        primary.upload(src, srcOffset, p(dst), dstOffset, count);
        checker.upload(src, srcOffset, c(dst), dstOffset, count);
    }

    /** Both engines convert (each with its own code, as for any op the check compares downstream). */
    @Override
    public void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                    float divisor) {
        primary.uploadUnsignedBytes(src, srcOffset, p(dst), dstOffset, count, divisor);
        checker.uploadUnsignedBytes(src, srcOffset, c(dst), dstOffset, count, divisor);
    }

    /** Reads the primary's values: the user sees what the primary computed. */
    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        primary.download(p(src), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        primary.download(p(src), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void synchronize() {
        primary.synchronize();
        checker.synchronize();
    }

    // ================================================================ BLAS-like

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                     DeviceBuffer b, float beta, DeviceBuffer c) {
        String op = "gemm";
        String args = "transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k
                + ", alpha=" + alpha + ", beta=" + beta;
        float[] av = get(a, m * k);
        float[] bv = get(b, k * n);
        float[] cOld = beta == 0 ? null : get(c, m * n);
        primary.gemm(transA, transB, m, n, k, alpha, p(a), p(b), beta, p(c));
        checker.gemm(transA, transB, m, n, k, alpha, c(a), c(b), beta, c(c));
        // The magnitude sum_l |alpha a_il b_lj| + |beta c_ij| that bounds any summation order's error.
        double[] mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    double x = transA ? av[l * m + i] : av[i * k + l];
                    double y = transB ? bv[j * k + l] : bv[l * n + j];
                    s += Math.abs(x * y);
                }
                mag[i * n + j] = Math.abs((double) alpha) * s
                        + (cOld == null ? 0 : Math.abs((double) beta * cOld[i * n + j]));
            }
        }
        double factor = (k + 3) * GEMM_UNIT;
        compare(op, args, "c", c, m * n, n, (i, ref) -> factor * mag[i] + 1e-30,
                "(k + 3) * 1e-6 * (|alpha| sum|a b| + |beta c|)");
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        primary.biasAdd(p(x), p(bias), p(y), rows, cols);
        checker.biasAdd(c(x), c(bias), c(y), rows, cols);
        compareElementwise("biasAdd", dims(rows, cols), "y", y, rows * cols, cols, null);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        float[] dyv = get(dy, rows * cols);
        float[] dbOld = beta == 0 ? null : get(db, cols);
        primary.biasGrad(p(dy), p(db), rows, cols, beta);
        checker.biasGrad(c(dy), c(db), rows, cols, beta);
        double[] mag = new double[cols];
        for (int j = 0; j < cols; j++) {
            double s = dbOld == null ? 0 : Math.abs((double) beta * dbOld[j]);
            for (int r = 0; r < rows; r++) {
                s += Math.abs(dyv[r * cols + j]);
            }
            mag[j] = s;
        }
        compareElementwise("biasGrad", dims(rows, cols) + ", beta=" + beta, "db", db, cols, 0, mag);
    }

    // ================================================================ activations

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        primary.activation(act, param, p(x), p(y), rows, cols);
        checker.activation(act, param, c(x), c(y), rows, cols);
        compareElementwise("activation(" + act.id() + ")", dims(rows, cols) + paramText(act, param), "y", y,
                rows * cols, cols, null);
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        int n = rows * cols;
        double[] extra = null;
        if (act.rowWise()) {
            // dx = y (dy - sum(dy y)) or dy - exp(y) sum(dy): the subtraction can cancel, so the
            // error is relative to the magnitudes of both sides.
            float[] yv = get(y, n);
            float[] dyv = get(dy, n);
            extra = new double[n];
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    int i = r * cols + j;
                    s += act == Activation.SOFTMAX ? Math.abs((double) dyv[i] * yv[i]) : Math.abs(dyv[i]);
                }
                for (int j = 0; j < cols; j++) {
                    int i = r * cols + j;
                    extra[i] = act == Activation.SOFTMAX ? Math.abs(yv[i]) * (Math.abs(dyv[i]) + s)
                            : Math.abs(dyv[i]) + Math.exp(yv[i]) * s;
                }
            }
        }
        primary.activationBackward(act, param, p(x), p(y), p(dy), p(dx), rows, cols);
        checker.activationBackward(act, param, c(x), c(y), c(dy), c(dx), rows, cols);
        compareElementwise("activationBackward(" + act.id() + ")", dims(rows, cols) + paramText(act, param), "dx",
                dx, n, cols, extra);
    }

    private static String paramText(Activation act, float param) {
        return act == Activation.LEAKY_RELU ? ", slope=" + param : "";
    }

    // ================================================================ losses

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        String op = "softmaxCrossEntropy";
        String args = dims(rows, cols) + ", " + reduction + ", labelSmoothing=" + labelSmoothing;
        primary.softmaxCrossEntropy(p(logits), p(labels), p(loss), p(grad), rows, cols, reduction, labelSmoothing);
        checker.softmaxCrossEntropy(c(logits), c(labels), c(loss), c(grad), rows, cols, reduction, labelSmoothing);
        // Every row's loss is >= 0, so the sum's error is relative to the result itself.
        compareElementwise(op, args, "loss", loss, 1, 0, null);
        if (grad != null) {
            compareElementwise(op, args, "grad", grad, rows * cols, cols, null);
        }
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        String op = "loss(" + kind.id() + ")";
        String args = dims(rows, cols) + ", " + reduction;
        int n = rows * cols;
        double[] lossMag = null;
        if (kind == LossKind.KL_DIV) {
            // The only loss whose terms t (log t - x) can be negative: bound by the terms' magnitudes.
            float[] x = get(input, n);
            float[] t = get(target, n);
            double s = 0;
            for (int i = 0; i < n; i++) {
                if (t[i] != 0) {
                    s += Math.abs(t[i] * Math.log(t[i])) + Math.abs((double) t[i] * x[i]);
                }
            }
            double div = reduction == Reduction.MEAN ? n : reduction == Reduction.BATCHMEAN ? rows : 1;
            lossMag = new double[] {s / div};
        }
        primary.loss(kind, p(input), p(target), p(loss), p(grad), rows, cols, reduction);
        checker.loss(kind, c(input), c(target), c(loss), c(grad), rows, cols, reduction);
        compareElementwise(op, args, "loss", loss, 1, 0, lossMag);
        if (grad != null) {
            compareElementwise(op, args, "grad", grad, n, cols, null);
        }
    }

    // ================================================================ optimizers

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p,
                        float lr, long step) {
        String args = "n=" + n + ", " + p + ", lr=" + lr + ", step=" + step;
        float[] pOld = get(param, n);
        float[] bufOld = momentumBuf == null ? null : get(momentumBuf, n);
        primary.sgdStep(p(param), p(grad), p(momentumBuf), n, p, lr, step);
        checker.sgdStep(c(param), c(grad), c(momentumBuf), n, p, lr, step);
        compareElementwise("sgdStep", args, "param", param, n, 0, abs(pOld));
        if (momentumBuf != null) {
            compareElementwise("sgdStep", args, "momentumBuf", momentumBuf, n, 0, abs(bufOld));
        }
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        String op = p.decoupled() ? "adamwStep" : "adamStep";
        String args = "n=" + n + ", " + p + ", lr=" + lr + ", step=" + step;
        float[] pOld = get(param, n);
        float[] mOld = get(expAvg, n);
        float[] vOld = get(expAvgSq, n);
        float[] vmOld = maxExpAvgSq == null ? null : get(maxExpAvgSq, n);
        primary.adamStep(p(param), p(grad), p(expAvg), p(expAvgSq), p(maxExpAvgSq), n, p, lr, step);
        checker.adamStep(c(param), c(grad), c(expAvg), c(expAvgSq), c(maxExpAvgSq), n, p, lr, step);
        compareElementwise(op, args, "param", param, n, 0, abs(pOld));
        compareElementwise(op, args, "expAvg", expAvg, n, 0, abs(mOld));
        compareElementwise(op, args, "expAvgSq", expAvgSq, n, 0, abs(vOld));
        if (maxExpAvgSq != null) {
            compareElementwise(op, args, "maxExpAvgSq", maxExpAvgSq, n, 0, abs(vmOld));
        }
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        String op = "rmspropStep";
        String args = "n=" + n + ", " + p + ", lr=" + lr + ", step=" + step;
        float[] pOld = get(param, n);
        float[] sqOld = get(squareAvg, n);
        float[] gaOld = gradAvg == null ? null : get(gradAvg, n);
        float[] bufOld = momentumBuf == null ? null : get(momentumBuf, n);
        primary.rmspropStep(p(param), p(grad), p(squareAvg), p(gradAvg), p(momentumBuf), n, p, lr, step);
        checker.rmspropStep(c(param), c(grad), c(squareAvg), c(gradAvg), c(momentumBuf), n, p, lr, step);
        compareElementwise(op, args, "param", param, n, 0, abs(pOld));
        compareElementwise(op, args, "squareAvg", squareAvg, n, 0, abs(sqOld));
        if (gradAvg != null) {
            compareElementwise(op, args, "gradAvg", gradAvg, n, 0, abs(gaOld));
        }
        if (momentumBuf != null) {
            compareElementwise(op, args, "momentumBuf", momentumBuf, n, 0, abs(bufOld));
        }
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        String op = "adagradStep";
        String args = "n=" + n + ", " + p + ", lr=" + lr + ", step=" + step;
        float[] pOld = get(param, n);
        float[] sOld = get(stateSum, n);
        primary.adagradStep(p(param), p(grad), p(stateSum), n, p, lr, step);
        checker.adagradStep(c(param), c(grad), c(stateSum), n, p, lr, step);
        compareElementwise(op, args, "param", param, n, 0, abs(pOld));
        compareElementwise(op, args, "stateSum", stateSum, n, 0, abs(sOld));
    }

    // ================================================================ reductions and utilities

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        primary.argmax(p(x), p(out), rows, cols);
        checker.argmax(c(x), c(out), rows, cols);
        compareInts("argmax", dims(rows, cols), "out", out, rows);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        primary.countCorrect(p(logits), p(labels), p(counter), rows, cols);
        checker.countCorrect(c(logits), c(labels), c(counter), rows, cols);
        compareInts("countCorrect", dims(rows, cols), "counter", counter, 1);
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        primary.fill(p(x), value, n);
        checker.fill(c(x), value, n);
        compareElementwise("fill", "n=" + n + ", value=" + value, "x", x, n, 0, null);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        primary.fillInt(p(x), value, n);
        checker.fillInt(c(x), value, n);
        compareInts("fillInt", "n=" + n + ", value=" + value, "x", x, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        primary.copy(p(src), p(dst), n);
        checker.copy(c(src), c(dst), n);
        if (dst.dtype() == DType.F32) {
            compareElementwise("copy", "n=" + n, "dst", dst, n, 0, null);
        } else {
            compareInts("copy", "n=" + n, "dst", dst, n);
        }
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        primary.scale(p(x), alpha, n);
        checker.scale(c(x), alpha, n);
        compareElementwise("scale", "n=" + n + ", alpha=" + alpha, "x", x, n, 0, null);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        float[] xv = get(x, n);
        float[] yOld = get(y, n);
        primary.axpy(alpha, p(x), p(y), n);
        checker.axpy(alpha, c(x), c(y), n);
        double[] extra = new double[n];
        for (int i = 0; i < n; i++) {
            extra[i] = Math.abs((double) alpha * xv[i]) + Math.abs(yOld[i]);
        }
        compareElementwise("axpy", "n=" + n + ", alpha=" + alpha, "y", y, n, 0, extra);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        primary.norm(kind, p(x), p(out), n);
        checker.norm(kind, c(x), c(out), n);
        // Every term is >= 0 (or a max): the error is relative to the result.
        compareElementwise("norm", "n=" + n + ", " + kind, "out", out, 1, 0, null);
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        float[] xv = get(x, n);
        primary.sum(p(x), p(out), n);
        checker.sum(c(x), c(out), n);
        double s = 0;
        for (float v : xv) {
            s += Math.abs(v);
        }
        compareElementwise("sum", "n=" + n, "out", out, 1, 0, new double[] {s});
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            checker.close();
        }
    }

    // ================================================================ comparison

    /** A per-element absolute tolerance, given the index and the checker's value. */
    @FunctionalInterface
    private interface Tolerance {
        double at(int index, double ref);
    }

    private float[] get(DeviceBuffer pair, int n) {
        float[] v = new float[n];
        if (n > 0) {
            primary.download(p(pair), 0, v, 0, n);
        }
        return v;
    }

    private static double[] abs(float[] v) {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    private static String dims(int rows, int cols) {
        return "rows=" + rows + ", cols=" + cols;
    }

    private void compareElementwise(String op, String args, String output, DeviceBuffer buf, int n, int cols,
                                    double[] extra) {
        compare(op, args, output, buf, n, cols,
                (i, ref) -> ATOL + RTOL * (Math.abs(ref) + (extra == null ? 0 : extra[i])),
                extra == null ? "1e-5 + 1e-4 * |ref|" : "1e-5 + 1e-4 * (|ref| + magnitude of the terms)");
    }

    /**
     * Compares the first {@code n} values of both buffers, throws at the first divergence, then
     * copies the primary's values into the checker so that the next op starts from equal inputs.
     */
    private void compare(String op, String args, String output, DeviceBuffer buf, int n, int cols, Tolerance tol,
                         String rule) {
        opCount++;
        float[] got = new float[n];
        float[] want = new float[n];
        primary.download(p(buf), 0, got, 0, n);
        checker.download(c(buf), 0, want, 0, n);
        for (int i = 0; i < n; i++) {
            double a = got[i];
            double b = want[i];
            if (a == b || (Double.isNaN(a) && Double.isNaN(b))) {
                continue;
            }
            double err = Math.abs(a - b);
            double t = tol.at(i, b);
            if (!(err <= t)) {
                throw new KilnException(primaryName, op, null, "cross-check failed: " + op + "(" + args
                        + ") output " + output + " diverges at index " + i + where(i, cols) + ": " + primaryName
                        + " = " + got[i] + ", " + checkerName + " = " + want[i] + ", |error| = " + (float) err
                        + " > tolerance " + (float) t + " [" + rule + "]");
            }
        }
        checker.upload(got, 0, c(buf), 0, n);
    }

    private void compareInts(String op, String args, String output, DeviceBuffer buf, int n) {
        opCount++;
        int[] got = new int[n];
        int[] want = new int[n];
        primary.download(p(buf), 0, got, 0, n);
        checker.download(c(buf), 0, want, 0, n);
        for (int i = 0; i < n; i++) {
            if (got[i] != want[i]) {
                throw new KilnException(primaryName, op, null, "cross-check failed: " + op + "(" + args
                        + ") output " + output + " diverges at index " + i + ": " + primaryName + " = " + got[i]
                        + ", " + checkerName + " = " + want[i] + " (must be equal)");
            }
        }
    }

    private static String where(int i, int cols) {
        return cols > 0 ? " (row " + i / cols + ", col " + i % cols + ")" : "";
    }
}
