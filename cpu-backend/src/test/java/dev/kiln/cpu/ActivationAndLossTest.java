package dev.kiln.cpu;

import dev.kiln.core.Activation;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.DoubleUnaryOperator;

import static dev.kiln.cpu.TestSupport.assertClose;
import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.ints;
import static dev.kiln.cpu.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Activations, softmax-cross-entropy and the elementwise losses against double-precision loops. */
class ActivationAndLossTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-5;
    private static CpuEngine e;

    @BeforeAll
    static void open() {
        e = TestSupport.engine(2, true);
    }

    @AfterAll
    static void close() {
        e.close();
    }

    /** erf by its Maclaurin series in double with many terms (fine for |x| <= 3; beyond 6 erf is +-1 in double). */
    static double erfRef(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void erfIsAccurate() {
        double[][] known = {{0.5, 0.5204998778130465}, {1, 0.8427007929497149}, {2, 0.9953222650189527},
                {-0.1, -0.1124629160182849}, {3, 0.9999779095030014}};
        for (double[] k : known) {
            assertEquals(k[1], SpecialMath.erf(k[0]), 1e-15 * Math.abs(k[1]), "erf(" + k[0] + ")");
        }
        assertEquals(2.209049699858544e-5, SpecialMath.erfcAccurate(3), 1e-19);
        assertEquals(1.541725790028002e-8, SpecialMath.erfcAccurate(4), 1e-22);
        assertEquals(2.088487583762545e-45, SpecialMath.erfcAccurate(10), 1e-58);
        double worst = 0;
        for (double x = -7; x <= 9; x += 1.0 / 1024 + 1e-7) {
            double want = SpecialMath.erfcAccurate(x);
            worst = Math.max(worst, Math.abs(SpecialMath.erfc(x) - want) / want);
        }
        assertTrue(worst < 1e-10, "the tabulated erfc is off by " + worst + " (relative)");
        for (double x = -3; x <= 3; x += 0.01) {
            assertEquals(erfRef(x), SpecialMath.erf(x), 1e-13, "erf(" + x + ")");
        }
    }

    static double[] fwdRef(Activation act, float slope, double x) {
        // returns {y, dy/dx}
        switch (act) {
            case RELU:
                return new double[] {Math.max(x, 0), x > 0 ? 1 : 0};
            case LEAKY_RELU:
                return new double[] {x > 0 ? x : slope * x, x > 0 ? 1 : slope};
            case SIGMOID: {
                double s = 1 / (1 + Math.exp(-x));
                return new double[] {s, s * (1 - s)};
            }
            case TANH: {
                double t = Math.tanh(x);
                return new double[] {t, 1 - t * t};
            }
            case GELU_ERF: {
                double cdf = 0.5 * (1 + erfRef(x / Math.sqrt(2)));
                return new double[] {x * cdf, cdf + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI)};
            }
            case GELU_TANH: {
                DoubleUnaryOperator g =
                        v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                double h = 1e-5;
                return new double[] {g.applyAsDouble(x), (g.applyAsDouble(x + h) - g.applyAsDouble(x - h)) / (2 * h)};
            }
            case SOFTPLUS:
                return new double[] {x > 20 ? x : Math.log(1 + Math.exp(x)), x > 20 ? 1 : 1 / (1 + Math.exp(-x))};
            default:
                throw new IllegalArgumentException();
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationForwardAndBackward(Activation act) {
        int rows = 7;
        int cols = 13;
        int n = rows * cols;
        float[] x = random(act.ordinal(), n, -3f, 3f);
        x[0] = 0f;
        x[1] = 25f;
        float[] dy = random(act.ordinal() + 50, n, -1f, 1f);
        float slope = 0.07f;
        double[] y = new double[n];
        double[] dx = new double[n];
        if (act.rowWise()) {
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, x[r * cols + j]);
                }
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += Math.exp(x[r * cols + j] - max);
                }
                double dot = 0;
                double sumDy = 0;
                double[] p = new double[cols];
                for (int j = 0; j < cols; j++) {
                    p[j] = Math.exp(x[r * cols + j] - max) / s;
                    dot += dy[r * cols + j] * p[j];
                    sumDy += dy[r * cols + j];
                }
                for (int j = 0; j < cols; j++) {
                    int i = r * cols + j;
                    if (act == Activation.SOFTMAX) {
                        y[i] = p[j];
                        dx[i] = p[j] * (dy[i] - dot);
                    } else {
                        y[i] = x[i] - max - Math.log(s);
                        dx[i] = dy[i] - p[j] * sumDy;
                    }
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                double[] r = fwdRef(act, slope, x[i]);
                y[i] = r[0];
                dx[i] = dy[i] * r[1];
            }
        }
        DeviceBuffer xb = buf(e, x);
        DeviceBuffer yb = e.allocate(dev.kiln.core.DType.F32, n);
        e.activation(act, slope, xb, yb, rows, cols);
        assertClose(y, get(e, yb, n), ATOL, RTOL, act + " forward");
        DeviceBuffer dyb = buf(e, dy);
        DeviceBuffer dxb = e.allocate(dev.kiln.core.DType.F32, n);
        e.activationBackward(act, slope, xb, yb, dyb, dxb, rows, cols);
        double tol = act == Activation.GELU_TANH ? 1e-6 : 0; // finite differences in the reference
        assertClose(dx, get(e, dxb, n), ATOL + tol, RTOL, act + " backward");
        // in place: dx may be dy
        e.activationBackward(act, slope, xb, yb, dyb, dyb, rows, cols);
        assertClose(dx, get(e, dyb, n), ATOL + tol, RTOL, act + " backward in place");
        if (!act.rowWise()) {
            e.activation(act, slope, xb, xb, rows, cols);
            assertClose(y, get(e, xb, n), ATOL, RTOL, act + " forward in place");
        }
    }

    @Test
    void geluErfAtTheTails() {
        float[] x = {-10f, -6f, -5f, -3f, 3f, 6f};
        DeviceBuffer xb = buf(e, x);
        DeviceBuffer yb = e.allocate(dev.kiln.core.DType.F32, x.length);
        e.activation(Activation.GELU_ERF, 0f, xb, yb, 1, x.length);
        float[] y = get(e, yb, x.length);
        // x Phi(x) with Phi from erfc, computed independently: Phi(-5) = 2.866515718791939e-7 etc.
        double[] phi = {7.619853024160527e-24, 9.865876450376946e-10, 2.866515718791939e-7, 1.3498980316300946e-3,
                0.9986501019683699, 0.9999999990134123};
        for (int i = 0; i < x.length; i++) {
            assertClose(x[i] * phi[i], y[i], 0, 1e-6, "gelu(" + x[i] + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void softmaxCrossEntropy(Reduction red) {
        if (red == Reduction.BATCHMEAN) {
            return; // the front door rejects it for cross-entropy
        }
        for (float ls : new float[] {0f, 0.1f}) {
            int rows = 37;
            int cols = 10;
            float[] x = random(3, rows * cols, -4f, 4f);
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) {
                labels[r] = (r * 7) % cols;
            }
            double total = 0;
            double[] g = new double[rows * cols];
            double scale = red == Reduction.SUM ? 1 : 1.0 / rows;
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, x[r * cols + j]);
                }
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += Math.exp(x[r * cols + j] - max);
                }
                for (int j = 0; j < cols; j++) {
                    double logp = x[r * cols + j] - max - Math.log(s);
                    double t = (j == labels[r] ? 1 - ls : 0) + ls / cols;
                    total -= t * logp;
                    g[r * cols + j] = (Math.exp(logp) - t) * scale;
                }
            }
            DeviceBuffer xb = buf(e, x);
            DeviceBuffer lb = ints(e, labels);
            DeviceBuffer loss = e.allocate(dev.kiln.core.DType.F32, 1);
            DeviceBuffer grad = e.allocate(dev.kiln.core.DType.F32, rows * cols);
            e.softmaxCrossEntropy(xb, lb, loss, grad, rows, cols, red, ls);
            assertClose(total * scale, get(e, loss, 1)[0], ATOL, RTOL, "CE loss " + red + " ls " + ls);
            assertClose(g, get(e, grad, rows * cols), ATOL, RTOL, "CE grad " + red + " ls " + ls);
            e.softmaxCrossEntropy(xb, lb, loss, null, rows, cols, red, ls);
            assertClose(total * scale, get(e, loss, 1)[0], ATOL, RTOL, "CE loss without grad");
        }
    }

    @Test
    void labelOutOfRangeNamesTheRow() {
        DeviceBuffer xb = buf(e, new float[] {1, 2, 3, 4, 5, 6});
        DeviceBuffer lb = ints(e, new int[] {0, 3});
        DeviceBuffer loss = e.allocate(dev.kiln.core.DType.F32, 1);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> e.softmaxCrossEntropy(xb, lb, loss, null, 2, 3, Reduction.MEAN, 0f));
        assertTrue(ex.getMessage().contains("row 1"), ex.getMessage());
    }

    static double[] lossRef(LossKind kind, double x, double t) {
        switch (kind) {
            case MSE:
                return new double[] {(x - t) * (x - t), 2 * (x - t)};
            case L1:
                return new double[] {Math.abs(x - t), Math.signum(x - t)};
            case BCE:
                return new double[] {-(t * Math.max(Math.log(x), -100) + (1 - t) * Math.max(Math.log(1 - x), -100)),
                        (x - t) / Math.max(x * (1 - x), 1e-12)};
            case BCE_WITH_LOGITS: {
                double s = 1 / (1 + Math.exp(-x));
                return new double[] {-(t * Math.log(s) + (1 - t) * Math.log(1 - s)), s - t};
            }
            case KL_DIV:
                return new double[] {t > 0 ? t * (Math.log(t) - x) : 0, t > 0 ? -t : 0};
            default:
                throw new IllegalArgumentException();
        }
    }

    @ParameterizedTest
    @EnumSource(LossKind.class)
    void elementwiseLosses(LossKind kind) {
        int rows = 9;
        int cols = 11;
        int n = rows * cols;
        boolean prob = kind == LossKind.BCE || kind == LossKind.KL_DIV;
        float[] x = random(kind.ordinal(), n, prob ? 0.01f : -3f, prob ? 0.99f : 3f);
        float[] t = random(kind.ordinal() + 5, n, 0f, 1f);
        if (kind == LossKind.KL_DIV) {
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.log(x[i]);
            }
            t[3] = 0f;
        }
        if (kind == LossKind.BCE) {
            x[0] = 0f; // log clamp
            x[1] = 1f;
        }
        if (kind == LossKind.L1 || kind == LossKind.MSE) {
            t[2] = x[2];
        }
        for (Reduction red : Reduction.values()) {
            double scale = switch (red) {
                case SUM -> 1;
                case MEAN -> 1.0 / n;
                case BATCHMEAN -> 1.0 / rows;
            };
            double total = 0;
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                double[] r = lossRef(kind, x[i], t[i]);
                total += r[0];
                g[i] = r[1] * scale;
            }
            DeviceBuffer xb = buf(e, x);
            DeviceBuffer tb = buf(e, t);
            DeviceBuffer loss = e.allocate(dev.kiln.core.DType.F32, 1);
            DeviceBuffer grad = e.allocate(dev.kiln.core.DType.F32, n);
            e.loss(kind, xb, tb, loss, grad, rows, cols, red);
            assertClose(total * scale, get(e, loss, 1)[0], ATOL, RTOL, kind + " " + red + " loss");
            assertClose(g, get(e, grad, n), ATOL, RTOL, kind + " " + red + " grad");
        }
    }
}
