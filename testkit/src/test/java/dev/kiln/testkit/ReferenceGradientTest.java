package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.reference.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Central finite differences, in double, validate every backward formula of {@link Reference}:
 * each activation, softmax-cross-entropy (with label smoothing), each elementwise loss under each
 * reduction, GEMM (all transposes, alpha, beta), the linear layer and the bias.
 *
 * <p>With step h = 1e-6 the difference quotient's truncation error is O(h^2) ~ 1e-12 and its
 * rounding error about 1e-16 |L| / h ~ 1e-9 here, so a 1e-6 tolerance is tight enough to catch any
 * wrong formula (which is off by O(1e-2) or more) and loose enough never to flake. Inputs keep
 * away from the kinks (ReLU at 0, L1 at x = t, softplus at its threshold 20) where a derivative
 * does not exist.
 */
class ReferenceGradientTest {
    static final double H = 1e-6;
    static final double ATOL = 1e-6;
    static final double RTOL = 1e-6;

    /** The gradient of {@code f} at {@code x} by central differences. */
    static double[] numericGradient(ToDoubleFunction<double[]> f, double[] x) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + H;
            double up = f.applyAsDouble(x);
            x[i] = keep - H;
            double down = f.applyAsDouble(x);
            x[i] = keep;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    static double[] random(Random rnd, int n, double lo, double hi) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    // ---------------------------------------------------------------- activations

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activation(Activation act) {
        Random rnd = new Random(42 + act.ordinal());
        int rows = 4;
        int cols = 7;
        double[] x = random(rnd, rows * cols, -5, 5);
        // Keep away from the kinks at 0; include tails where the stable formulas matter.
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i]) < 0.01) {
                x[i] = 0.5;
            }
        }
        x[3] = -12;
        x[10] = 25; // above softplus's threshold 20: softplus is x there
        x[11] = 19.5;
        double[] dy = random(rnd, rows * cols, -1, 1);
        for (double param : act == Activation.LEAKY_RELU ? new double[] {0.01, 0.2} : new double[] {0}) {
            ToDoubleFunction<double[]> loss = v -> {
                double[] y = new double[v.length];
                Reference.activation(act, param, v, y, rows, cols);
                return dot(dy, y);
            };
            double[] y = new double[x.length];
            Reference.activation(act, param, x, y, rows, cols);
            double[] dx = new double[x.length];
            Reference.activationBackward(act, param, x, y, dy, dx, rows, cols);
            RefAssert.assertClose(act + " slope " + param, dx, numericGradient(loss, x), x.length, ATOL, RTOL);
        }
    }

    /** {@code dx} may be {@code dy}, as the SPI allows. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardInPlace(Activation act) {
        Random rnd = new Random(7);
        double[] x = random(rnd, 12, -3, 3);
        double[] y = new double[12];
        Reference.activation(act, 0.1, x, y, 3, 4);
        double[] dy = random(rnd, 12, -1, 1);
        double[] dx = new double[12];
        Reference.activationBackward(act, 0.1, x, y, dy, dx, 3, 4);
        Reference.activationBackward(act, 0.1, x, y, dy, dy, 3, 4);
        RefAssert.assertClose(act + " in place", dy, dx, 12, 0, 0);
    }

    // ---------------------------------------------------------------- softmax-cross-entropy

    static List<Arguments> crossEntropySettings() {
        List<Arguments> a = new ArrayList<>();
        for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            for (double ls : new double[] {0, 0.1, 1.0}) {
                a.add(Arguments.of(r, ls));
            }
        }
        return a;
    }

    @ParameterizedTest(name = "{0} smoothing {1}")
    @MethodSource("crossEntropySettings")
    void softmaxCrossEntropy(Reduction reduction, double ls) {
        Random rnd = new Random(3);
        int rows = 5;
        int cols = 6;
        double[] x = random(rnd, rows * cols, -4, 4);
        x[0] = 30; // a dominant logit
        int[] labels = {2, 0, 5, 5, 1};
        double[] grad = new double[x.length];
        Reference.softmaxCrossEntropy(x, labels, grad, rows, cols, reduction, ls);
        double[] fd = numericGradient(v -> Reference.softmaxCrossEntropy(v, labels, null, rows, cols, reduction, ls),
                x);
        RefAssert.assertClose("softmax-CE " + reduction + " ls " + ls, grad, fd, x.length, ATOL, RTOL);
    }

    /** The loss equals -sum target log softmax, from its definition, and a bad label names the row. */
    @Test
    void softmaxCrossEntropyDefinition() {
        double[] x = {1, 2, 3, -1, 0, 4};
        int[] labels = {2, 0};
        double ls = 0.2;
        double expect = 0;
        for (int r = 0; r < 2; r++) {
            double lse = Math.log(Math.exp(x[3 * r]) + Math.exp(x[3 * r + 1]) + Math.exp(x[3 * r + 2]));
            for (int j = 0; j < 3; j++) {
                double target = (j == labels[r] ? 1 - ls : 0) + ls / 3;
                expect -= target * (x[3 * r + j] - lse);
            }
        }
        assertEquals(expect / 2, Reference.softmaxCrossEntropy(x, labels, null, 2, 3, Reduction.MEAN, ls), 1e-14);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Reference.softmaxCrossEntropy(x, new int[] {0, 3}, null, 2, 3, Reduction.SUM, 0));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }

    // ---------------------------------------------------------------- elementwise losses

    static List<Arguments> lossSettings() {
        List<Arguments> a = new ArrayList<>();
        for (LossKind k : LossKind.values()) {
            for (Reduction r : Reduction.values()) {
                a.add(Arguments.of(k, r));
            }
        }
        return a;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossSettings")
    void loss(LossKind kind, Reduction reduction) {
        Random rnd = new Random(11 + kind.ordinal());
        int rows = 4;
        int cols = 5;
        int n = rows * cols;
        double[] x;
        double[] t;
        switch (kind) {
            case BCE -> {
                x = random(rnd, n, 0.05, 0.95);
                t = random(rnd, n, 0, 1);
                t[0] = 0;
                t[1] = 1;
            }
            case BCE_WITH_LOGITS -> {
                x = random(rnd, n, -6, 6);
                t = random(rnd, n, 0, 1);
                t[0] = 0;
                t[1] = 1;
            }
            case KL_DIV -> {
                x = random(rnd, n, -4, 0); // log-probabilities
                t = random(rnd, n, 0, 0.5);
                t[2] = 0; // contributes 0 whatever x is
                t[7] = 0;
            }
            default -> {
                x = random(rnd, n, -3, 3);
                t = random(rnd, n, -3, 3);
                for (int i = 0; i < n; i++) {
                    if (Math.abs(x[i] - t[i]) < 0.01) {
                        t[i] += 0.5; // off L1's kink
                    }
                }
            }
        }
        double[] grad = new double[n];
        Reference.loss(kind, x, t, grad, rows, cols, reduction);
        double[] fd = numericGradient(v -> Reference.loss(kind, v, t, null, rows, cols, reduction), x);
        RefAssert.assertClose(kind + " " + reduction, grad, fd, n, ATOL, RTOL);
    }

    /** PyTorch's special cases: BCE's log clamp at -100, KL's 0 where the target is 0. */
    @Test
    void lossSpecialCases() {
        double[] grad = new double[1];
        // BCE at x = 0 with t = 1: log(0) clamps to -100, and the gradient's denominator to 1e-12.
        assertEquals(100.0, Reference.loss(LossKind.BCE, new double[] {0}, new double[] {1}, grad, 1, 1,
                Reduction.SUM), 0);
        assertEquals(-1e12, grad[0], 0);
        assertEquals(0.0, Reference.loss(LossKind.KL_DIV, new double[] {-1e30}, new double[] {0}, grad, 1, 1,
                Reduction.SUM), 0);
        assertEquals(0.0, grad[0], 0);
        // BCE-with-logits stays finite for large logits.
        assertEquals(1000.0, Reference.loss(LossKind.BCE_WITH_LOGITS, new double[] {-1000}, new double[] {1}, null,
                1, 1, Reduction.MEAN), 1e-12);
    }

    // ---------------------------------------------------------------- GEMM, linear, bias

    static List<Arguments> transposes() {
        return List.of(Arguments.of(false, false), Arguments.of(false, true), Arguments.of(true, false),
                Arguments.of(true, true));
    }

    /**
     * For {@code L = sum G o (alpha op(A) op(B) + beta C)}: {@code dop(A) = alpha G op(B)^T},
     * {@code dop(B) = alpha op(A)^T G}, {@code dC = beta G}, each written as one GEMM in the
     * layout A and B are stored in. These are the formulas nn's backward pass uses.
     */
    @ParameterizedTest(name = "transA {0} transB {1}")
    @MethodSource("transposes")
    void gemm(boolean transA, boolean transB) {
        Random rnd = new Random(5);
        int m = 3;
        int n = 4;
        int k = 5;
        double alpha = 1.3;
        double beta = 0.7;
        double[] a = random(rnd, m * k, -1, 1);
        double[] b = random(rnd, k * n, -1, 1);
        double[] c = random(rnd, m * n, -1, 1);
        double[] g = random(rnd, m * n, -1, 1);
        ToDoubleFunction<double[]> lossA = v -> {
            double[] out = c.clone();
            Reference.gemm(transA, transB, m, n, k, alpha, v, b, beta, out);
            return dot(g, out);
        };
        ToDoubleFunction<double[]> lossB = v -> {
            double[] out = c.clone();
            Reference.gemm(transA, transB, m, n, k, alpha, a, v, beta, out);
            return dot(g, out);
        };
        ToDoubleFunction<double[]> lossC = v -> {
            double[] out = v.clone();
            Reference.gemm(transA, transB, m, n, k, alpha, a, b, beta, out);
            return dot(g, out);
        };
        double[] da = new double[m * k];
        if (transA) {
            Reference.gemm(transB, true, k, m, n, alpha, b, g, 0, da); // dA (k x m) = alpha op(B) G^T
        } else {
            Reference.gemm(false, !transB, m, k, n, alpha, g, b, 0, da); // dA (m x k) = alpha G op(B)^T
        }
        double[] db = new double[k * n];
        if (transB) {
            Reference.gemm(true, transA, n, k, m, alpha, g, a, 0, db); // dB (n x k) = alpha G^T op(A)
        } else {
            Reference.gemm(!transA, false, k, n, m, alpha, a, g, 0, db); // dB (k x n) = alpha op(A)^T G
        }
        double[] dc = g.clone();
        Reference.scale(dc, beta, dc.length);
        RefAssert.assertClose("dA", da, numericGradient(lossA, a), da.length, ATOL, RTOL);
        RefAssert.assertClose("dB", db, numericGradient(lossB, b), db.length, ATOL, RTOL);
        RefAssert.assertClose("dC", dc, numericGradient(lossC, c), dc.length, ATOL, RTOL);
    }

    /** torch.nn.Linear, y = x W^T + b: dx = dy W, dW = dy^T x, db = column sums of dy. */
    @Test
    void linearLayer() {
        Random rnd = new Random(9);
        int batch = 4;
        int in = 6;
        int out = 3;
        double[] x = random(rnd, batch * in, -1, 1);
        double[] w = random(rnd, out * in, -1, 1);
        double[] bias = random(rnd, out, -1, 1);
        double[] dy = random(rnd, batch * out, -1, 1);
        ToDoubleFunction<double[]> byX = v -> dot(dy, linear(v, w, bias, batch, in, out));
        ToDoubleFunction<double[]> byW = v -> dot(dy, linear(x, v, bias, batch, in, out));
        ToDoubleFunction<double[]> byB = v -> dot(dy, linear(x, w, v, batch, in, out));
        double[] dx = new double[batch * in];
        Reference.gemm(false, false, batch, in, out, 1, dy, w, 0, dx);
        double[] dw = new double[out * in];
        Reference.gemm(true, false, out, in, batch, 1, dy, x, 0, dw);
        double[] db = new double[out];
        Reference.biasGrad(dy, db, batch, out, 0);
        RefAssert.assertClose("dx", dx, numericGradient(byX, x), dx.length, ATOL, RTOL);
        RefAssert.assertClose("dW", dw, numericGradient(byW, w), dw.length, ATOL, RTOL);
        RefAssert.assertClose("db", db, numericGradient(byB, bias), db.length, ATOL, RTOL);
    }

    static double[] linear(double[] x, double[] w, double[] b, int batch, int in, int out) {
        double[] y = new double[batch * out];
        Reference.gemm(false, true, batch, out, in, 1, x, w, 0, y);
        Reference.biasAdd(y, b, y, batch, out);
        return y;
    }

    /** The bias gradient accumulates with beta (as nn's gradient accumulation uses it) and ignores db when beta is 0. */
    @Test
    void biasGradAccumulates() {
        double[] dy = {1, 2, 3, 4, 5, 6};
        double[] db = {10, 20, 30};
        Reference.biasGrad(dy, db, 2, 3, 0.5);
        RefAssert.assertClose("beta 0.5", db, new double[] {10, 17, 24}, 3, 0, 0);
        double[] nan = {Double.NaN, Double.NaN, Double.NaN};
        Reference.biasGrad(dy, nan, 2, 3, 0);
        RefAssert.assertClose("beta 0 does not read db", nan, new double[] {5, 7, 9}, 3, 0, 0);
    }
}
