package dev.kiln.opencl;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every non-GEMM op of the OpenCL engine against plain double loops written here (until the
 * testkit conformance suite runs on this backend too). Tolerance as in the design: elementwise
 * atol 1e-6 + rtol 1e-5; reductions and losses rtol 1e-5 (plus a size-aware atol for sums).
 */
class OpenClOpsTest {
    private static final int[][] SHAPES = {{1, 1}, {33, 17}, {64, 10}, {3, 1000}, {200, 129}};
    private static OpenClEngine eng;
    private final List<DeviceBuffer> allocated = new ArrayList<>();
    private final Random rnd = new Random(42);

    @BeforeAll
    static void open() {
        eng = OpenClTestSupport.open(OpenClEngine.GemmPath.AUTO);
    }

    @AfterAll
    static void close() {
        if (eng != null) {
            eng.close();
        }
    }

    @AfterEach
    void freeAll() {
        allocated.forEach(eng::free);
        allocated.clear();
    }

    // ------------------------------------------------------------------ helpers

    private DeviceBuffer up(float[] x) {
        DeviceBuffer b = OpenClTestSupport.up(eng, x);
        allocated.add(b);
        return b;
    }

    private DeviceBuffer upInts(int[] x) {
        DeviceBuffer b = OpenClTestSupport.upInts(eng, x);
        allocated.add(b);
        return b;
    }

    private DeviceBuffer alloc(DType t, int n) {
        DeviceBuffer b = eng.allocate(t, n);
        allocated.add(b);
        return b;
    }

    private float[] down(DeviceBuffer b, int n) {
        return OpenClTestSupport.down(eng, b, n);
    }

    private float[] rand(int n, double lo, double hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + rnd.nextDouble() * (hi - lo));
        }
        return x;
    }

    static void close(double[] want, float[] got, double atol, double rtol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            close(want[i], got[i], atol, rtol, what + " [" + i + "]");
        }
    }

    static void close(double want, float got, double atol, double rtol, String what) {
        if (Double.isNaN(want) && Float.isNaN(got)) {
            return;
        }
        if (Double.isInfinite(want) && want == got) {
            return;
        }
        if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
            fail(what + ": got " + got + ", want " + want);
        }
    }

    // ------------------------------------------------------------------ utilities

    @Test
    void fillCopyScaleAxpy() {
        int n = 1000;
        DeviceBuffer x = alloc(DType.F32, n);
        eng.fill(x, 2.5f, n);
        float[] got = down(x, n);
        for (float v : got) {
            assertEquals(2.5f, v);
        }
        DeviceBuffer ints = alloc(DType.I32, n);
        eng.fillInt(ints, -7, n);
        assertTrue(Arrays.stream(OpenClTestSupport.downInts(eng, ints, n)).allMatch(v -> v == -7));
        DeviceBuffer ints2 = alloc(DType.I32, n);
        eng.copy(ints, ints2, n);
        assertTrue(Arrays.stream(OpenClTestSupport.downInts(eng, ints2, n)).allMatch(v -> v == -7));

        float[] a = rand(n, -2, 2);
        float[] b = rand(n, -2, 2);
        DeviceBuffer da = up(a);
        DeviceBuffer db = up(b);
        DeviceBuffer dc = alloc(DType.F32, n);
        eng.copy(da, dc, n);
        assertArrayEquals(a, down(dc, n));
        eng.scale(dc, -1.5f, n);
        eng.axpy(0.25f, db, dc, n);
        float[] r = down(dc, n);
        for (int i = 0; i < n; i++) {
            close(a[i] * -1.5 + 0.25 * b[i], r[i], 1e-6, 1e-5, "scale+axpy");
        }
    }

    @Test
    void uploadAndDownloadHonourOffsets() {
        DeviceBuffer x = alloc(DType.F32, 10);
        eng.fill(x, 0f, 10);
        eng.upload(new float[] {9, 1, 2, 3}, 1, x, 4, 3);
        float[] out = new float[6];
        eng.download(x, 3, out, 1, 5);
        assertArrayEquals(new float[] {0, 0, 1, 2, 3, 0}, out);
    }

    @Test
    void sumAndNorms() {
        for (int n : new int[] {1, 127, 128, 129, 100_000, 1_000_003}) {
            float[] x = rand(n, -1, 1);
            DeviceBuffer dx = up(x);
            DeviceBuffer out = alloc(DType.F32, 1);
            double s = 0, l1 = 0, l2 = 0, inf = 0;
            for (float v : x) {
                s += v;
                l1 += Math.abs(v);
                l2 += (double) v * v;
                inf = Math.max(inf, Math.abs(v));
            }
            double atol = 1e-6 * Math.sqrt(n);
            eng.sum(dx, out, n);
            close(s, down(out, 1)[0], atol, 1e-5, "sum n=" + n);
            eng.norm(NormKind.L1, dx, out, n);
            close(l1, down(out, 1)[0], atol, 1e-5, "L1 n=" + n);
            eng.norm(NormKind.L2, dx, out, n);
            close(Math.sqrt(l2), down(out, 1)[0], atol, 1e-5, "L2 n=" + n);
            eng.norm(NormKind.LINF, dx, out, n);
            assertEquals((float) inf, down(out, 1)[0], "LINF n=" + n);
        }
        DeviceBuffer withNan = up(new float[] {1, Float.NaN, -3});
        DeviceBuffer out = alloc(DType.F32, 1);
        eng.norm(NormKind.LINF, withNan, out, 3);
        assertTrue(Float.isNaN(down(out, 1)[0]), "NaN propagates through the inf-norm");
    }

    @Test
    void reductionsAreBitwiseReproducible() {
        int n = 777_777;
        DeviceBuffer dx = up(rand(n, -1, 1));
        DeviceBuffer out = alloc(DType.F32, 1);
        eng.sum(dx, out, n);
        float first = down(out, 1)[0];
        for (int i = 0; i < 5; i++) {
            eng.sum(dx, out, n);
            assertEquals(Float.floatToRawIntBits(first), Float.floatToRawIntBits(down(out, 1)[0]));
        }
    }

    @Test
    void biasAddAndGrad() {
        // 300 rows: more than a work-item per column sums (OpenClEngine.narrowCols), so both
        // launch shapes of the bias gradient run here.
        int[][] shapes = Arrays.copyOf(SHAPES, SHAPES.length + 1);
        shapes[SHAPES.length] = new int[] {300, 7};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] x = rand(rows * cols, -1, 1);
            float[] bias = rand(cols, -1, 1);
            DeviceBuffer dx = up(x);
            DeviceBuffer db = up(bias);
            DeviceBuffer dy = alloc(DType.F32, rows * cols);
            eng.biasAdd(dx, db, dy, rows, cols);
            eng.biasAdd(dx, db, dx, rows, cols);  // in place
            float[] y = down(dy, rows * cols);
            float[] y2 = down(dx, rows * cols);
            for (int i = 0; i < rows * cols; i++) {
                close(x[i] + bias[i % cols], y[i], 1e-6, 1e-5, "biasAdd");
                assertEquals(y[i], y2[i]);
            }
            float[] g = rand(rows * cols, -1, 1);
            DeviceBuffer dg = up(g);
            float[] nan = new float[cols];
            Arrays.fill(nan, Float.NaN);
            DeviceBuffer grad = up(nan);
            eng.biasGrad(dg, grad, rows, cols, 0f);
            float[] gotZero = down(grad, cols);
            float[] prev = rand(cols, -1, 1);
            eng.upload(prev, 0, grad, 0, cols);
            eng.biasGrad(dg, grad, rows, cols, 0.5f);
            float[] gotBeta = down(grad, cols);
            for (int c = 0; c < cols; c++) {
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += g[r * cols + c];
                }
                close(sum, gotZero[c], 1e-6 * rows, 1e-5, "biasGrad beta=0 " + rows + "x" + cols);
                close(sum + 0.5 * prev[c], gotBeta[c], 1e-6 * rows, 1e-5, "biasGrad beta=0.5");
            }
        }
    }

    // ------------------------------------------------------------------ activations

    static double refAct(Activation a, double x, double p) {
        return switch (a) {
            case RELU -> Double.isNaN(x) ? x : Math.max(x, 0);
            case LEAKY_RELU -> x > 0 ? x : p * x;
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case GELU_ERF -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SOFTPLUS -> x > 20 ? x : Math.log1p(Math.exp(x));
            default -> throw new IllegalArgumentException();
        };
    }

    static double refActGrad(Activation a, double x, double p) {
        return switch (a) {
            case RELU -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> x > 0 ? 1 : p;
            case SIGMOID -> refAct(a, x, p) * (1 - refAct(a, x, p));
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
            case GELU_ERF -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> {
                double k = Math.sqrt(2 / Math.PI);
                double inner = k * (x + 0.044715 * x * x * x);
                double t = Math.tanh(inner);
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
            }
            case SOFTPLUS -> x > 20 ? 1 : 1 / (1 + Math.exp(-x));
            default -> throw new IllegalArgumentException();
        };
    }

    /** erf to ~1e-15 (Abramowitz-Stegun is too coarse for a reference): series / continued fraction. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            double sum = 0, term = ax;
            for (int n = 0; n < 200; n++) {
                double t = term / (2 * n + 1);
                sum += t;
                term *= -ax * ax / (n + 1);
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc continued fraction (Lentz), converges fast for x >= 2.5.
            double f = ax, c = ax, d = 0;
            for (int i = 1; i < 300; i++) {
                double an = i / 2.0;
                d = ax + an * d;
                d = 1 / d;
                c = ax + an / c;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) {
                    break;
                }
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"SOFTMAX", "LOG_SOFTMAX"}, mode = EnumSource.Mode.EXCLUDE)
    void elementwiseActivationsForwardAndBackward(Activation act) {
        float p = act == Activation.LEAKY_RELU ? 0.2f : 0f;
        for (int[] s : SHAPES) {
            int n = s[0] * s[1];
            float[] x = rand(n, -6, 6);
            if (n > 8) {
                x[0] = 0f;
                x[1] = 20f;
                x[2] = 20.5f;
                x[3] = 19.5f;
                x[4] = -30f;
                x[5] = 30f;
                x[6] = -0.0f;
            }
            float[] dy = rand(n, -1, 1);
            DeviceBuffer dxIn = up(x);
            DeviceBuffer dyv = alloc(DType.F32, n);
            eng.activation(act, p, dxIn, dyv, s[0], s[1]);
            float[] y = down(dyv, n);
            DeviceBuffer gy = up(dy);
            DeviceBuffer gx = alloc(DType.F32, n);
            eng.activationBackward(act, p, dxIn, dyv, gy, gx, s[0], s[1]);
            float[] dx = down(gx, n);
            eng.activationBackward(act, p, dxIn, dyv, gy, gy, s[0], s[1]);  // dx aliasing dy
            float[] dxAliased = down(gy, n);
            for (int i = 0; i < n; i++) {
                String w = act + " x=" + x[i];
                close(refAct(act, x[i], p), y[i], 1e-6, 1e-5, w);
                close(refActGrad(act, x[i], p) * dy[i], dx[i], 1e-6, 1e-5, w + " backward");
                assertEquals(dx[i], dxAliased[i], w + " backward in place");
            }
            eng.activation(act, p, dxIn, dxIn, s[0], s[1]);  // y aliasing x
            assertArrayEquals(y, down(dxIn, n), act + " in place");
        }
    }

    @Test
    void reluPropagatesNaN() {
        DeviceBuffer x = up(new float[] {Float.NaN, -1, 2});
        DeviceBuffer y = alloc(DType.F32, 3);
        eng.activation(Activation.RELU, 0f, x, y, 1, 3);
        float[] got = down(y, 3);
        assertTrue(Float.isNaN(got[0]));
        assertEquals(0f, got[1]);
        assertEquals(2f, got[2]);
    }

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"SOFTMAX", "LOG_SOFTMAX"})
    void softmaxRowsForwardAndBackward(Activation act) {
        boolean log = act == Activation.LOG_SOFTMAX;
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            float[] x = rand(rows * cols, -10, 10);
            float[] dy = rand(rows * cols, -1, 1);
            DeviceBuffer dx = up(x);
            DeviceBuffer dyv = alloc(DType.F32, rows * cols);
            eng.activation(act, 0f, dx, dyv, rows, cols);
            float[] y = down(dyv, rows * cols);
            DeviceBuffer gy = up(dy);
            DeviceBuffer gx = alloc(DType.F32, rows * cols);
            eng.activationBackward(act, 0f, dx, dyv, gy, gx, rows, cols);
            float[] g = down(gx, rows * cols);
            for (int r = 0; r < rows; r++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    m = Math.max(m, x[r * cols + c]);
                }
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += Math.exp(x[r * cols + c] - m);
                }
                double[] ref = new double[cols];
                double dot = 0, dysum = 0;
                for (int c = 0; c < cols; c++) {
                    double sm = Math.exp(x[r * cols + c] - m) / sum;
                    ref[c] = log ? x[r * cols + c] - m - Math.log(sum) : sm;
                    dot += dy[r * cols + c] * sm;
                    dysum += dy[r * cols + c];
                }
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    double sm = Math.exp(x[i] - m) / sum;
                    close(ref[c], y[i], 1e-6, 1e-5, act + " " + rows + "x" + cols + " [" + r + "," + c + "]");
                    double want = log ? dy[i] - sm * dysum : sm * (dy[i] - dot);
                    close(want, g[i], 1e-6, 1e-5, act + " backward [" + r + "," + c + "]");
                }
            }
        }
    }

    // ------------------------------------------------------------------ losses

    @Test
    void softmaxCrossEntropyWithSmoothingAndReductions() {
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            float[] x = rand(rows * cols, -5, 5);
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) {
                labels[r] = rnd.nextInt(cols);
            }
            DeviceBuffer dx = up(x);
            DeviceBuffer dl = upInts(labels);
            DeviceBuffer loss = alloc(DType.F32, 1);
            DeviceBuffer grad = alloc(DType.F32, rows * cols);
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                for (float ls : new float[] {0f, 0.1f, 1f}) {
                    eng.softmaxCrossEntropy(dx, dl, loss, grad, rows, cols, red, ls);
                    float gotLoss = down(loss, 1)[0];
                    float[] g = down(grad, rows * cols);
                    double total = 0;
                    double scale = red == Reduction.MEAN ? 1.0 / rows : 1.0;
                    for (int r = 0; r < rows; r++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < cols; c++) {
                            m = Math.max(m, x[r * cols + c]);
                        }
                        double se = 0;
                        for (int c = 0; c < cols; c++) {
                            se += Math.exp(x[r * cols + c] - m);
                        }
                        double lse = m + Math.log(se);
                        for (int c = 0; c < cols; c++) {
                            double target = (c == labels[r] ? 1 - ls : 0) + ls / (double) cols;
                            total += -target * (x[r * cols + c] - lse);
                            double want = (Math.exp(x[r * cols + c] - lse) - target) * scale;
                            close(want, g[r * cols + c], 1e-6, 1e-5, "CE grad " + red + " ls=" + ls);
                        }
                    }
                    close(total * scale, gotLoss, 1e-6, 1e-5, "CE loss " + rows + "x" + cols + " " + red + " ls=" + ls);
                    eng.softmaxCrossEntropy(dx, dl, loss, null, rows, cols, red, ls);  // no gradient
                    assertEquals(gotLoss, down(loss, 1)[0], "loss without gradient");
                }
            }
        }
    }

    /**
     * A confident row's loss (4e-5: the label's logit 10 above the other) keeps its precision, in
     * both launch shapes (2 columns: a work-item per row; 300: a work-group per row), also when the
     * gradient overwrites the logits: (m - x[label]) + log1p(rest), where m + log(sum) - x[label]
     * lost half an ulp of m (1.5e-7 here, against a loss of 4.2e-5).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 300})
    void aConfidentRowKeepsItsSmallLoss(int cols) {
        float[] x = confidentRow(cols);
        double sum = shiftedExpSum(x);
        double want = Math.log(sum);
        double wantSmooth = 0.9 * want + 0.1 * (x[0] + Math.log(sum) - mean(x));
        DeviceBuffer dx = up(x);
        DeviceBuffer labels = upInts(new int[] {0});
        DeviceBuffer loss = alloc(DType.F32, 1);
        eng.softmaxCrossEntropy(dx, labels, loss, null, 1, cols, Reduction.MEAN, 0f);
        close(want, down(loss, 1)[0], 1e-9, 1e-5, "confident row, " + cols + " columns");
        eng.softmaxCrossEntropy(dx, labels, loss, null, 1, cols, Reduction.MEAN, 0.1f);
        close(wantSmooth, down(loss, 1)[0], 1e-6, 1e-5, "confident row, smoothing 0.1");
        eng.softmaxCrossEntropy(dx, labels, loss, dx, 1, cols, Reduction.MEAN, 0f);  // gradient over the logits
        close(want, down(loss, 1)[0], 1e-9, 1e-5, "confident row, gradient in place");
        float[] g = down(dx, cols);
        close(Math.exp((double) x[0] - x[0]) / sum - 1, g[0], 1e-7, 1e-5, "gradient at the label");
        close(Math.exp((double) x[1] - x[0]) / sum, g[1], 1e-9, 1e-5, "gradient elsewhere");
    }

    /** The same row's log-softmax: its top log-probability is -4.2e-5, to float accuracy in both launch shapes. */
    @ParameterizedTest
    @ValueSource(ints = {2, 300})
    void aConfidentRowKeepsItsTopLogProbability(int cols) {
        float[] x = confidentRow(cols);
        double sum = shiftedExpSum(x);
        DeviceBuffer dx = up(x);
        DeviceBuffer y = alloc(DType.F32, cols);
        eng.activation(Activation.LOG_SOFTMAX, 0f, dx, y, 1, cols);
        float[] got = down(y, cols);
        close(-Math.log(sum), got[0], 1e-9, 1e-5, "top log-probability, " + cols + " columns");
        close((double) x[1] - x[0] - Math.log(sum), got[1], 1e-9, 1e-5, "another log-probability");
        eng.activation(Activation.SOFTMAX, 0f, dx, y, 1, cols);
        got = down(y, cols);
        close(1 / sum, got[0], 1e-9, 1e-6, "top probability");
        close(Math.exp((double) x[1] - x[0]) / sum, got[1], 1e-12, 1e-5, "another probability");
    }

    /** A row whose first logit is about 10 above all the others (softmax 1 - 4.2e-5 there). */
    private static float[] confidentRow(int cols) {
        float[] x = new float[cols];
        Arrays.fill(x, -6.3924294f);
        x[0] = 3.6940508f;
        return x;
    }

    /** sum_c exp(x_c - x_0) in double: x_0 is the row's maximum. */
    private static double shiftedExpSum(float[] x) {
        double sum = 0;
        for (float v : x) {
            sum += Math.exp((double) v - x[0]);
        }
        return sum;
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** 10 columns: a work-item per row; 300: a work-group per row (OpenClEngine.runRowWise). */
    @ParameterizedTest
    @ValueSource(ints = {10, 300})
    void labelOutOfRangeRaisesAtTheNextDownloadNamingTheRow(int cols) {
        int rows = 8;
        DeviceBuffer dx = up(rand(rows * cols, -1, 1));
        DeviceBuffer bad = upInts(new int[] {1, 2, 3, cols, 4, 5, -1, 0});
        DeviceBuffer loss = alloc(DType.F32, 1);
        DeviceBuffer grad = alloc(DType.F32, rows * cols);
        // Straight to the engine: the front door would have refused these labels on the host.
        eng.softmaxCrossEntropy(dx, bad, loss, grad, rows, cols, Reduction.MEAN, 0f);
        dev.kiln.core.KilnException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.kiln.core.KilnException.class, () -> down(loss, 1));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertTrue(e.getMessage().contains("[0, " + cols + ")"), e.getMessage());
        assertEquals("softmaxCrossEntropy", e.op());
        // The flag is cleared: good labels work again.
        DeviceBuffer good = upInts(new int[] {1, 2, 3, cols - 1, 4, 5, 0, 0});
        eng.softmaxCrossEntropy(dx, good, loss, grad, rows, cols, Reduction.MEAN, 0f);
        assertTrue(Float.isFinite(down(loss, 1)[0]));
        // countCorrect uses the same flag.
        DeviceBuffer counter = alloc(DType.I32, 1);
        eng.fillInt(counter, 0, 1);
        eng.countCorrect(dx, bad, counter, rows, cols);
        dev.kiln.core.KilnException e2 = org.junit.jupiter.api.Assertions.assertThrows(
                dev.kiln.core.KilnException.class, eng::synchronize);
        assertTrue(e2.getMessage().contains("row 3"), e2.getMessage());
        assertEquals("countCorrect", e2.op());
    }

    static double refLoss(LossKind k, double x, double t) {
        return switch (k) {
            case MSE -> (x - t) * (x - t);
            case L1 -> Math.abs(x - t);
            case BCE -> -(t * Math.max(Math.log(x), -100) + (1 - t) * Math.max(Math.log(1 - x), -100));
            case BCE_WITH_LOGITS -> Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
            case KL_DIV -> t == 0 ? 0 : t * (Math.log(t) - x);
        };
    }

    static double refLossGrad(LossKind k, double x, double t) {
        return switch (k) {
            case MSE -> 2 * (x - t);
            case L1 -> Math.signum(x - t);
            case BCE -> (x - t) / Math.max(x * (1 - x), 1e-12);
            case BCE_WITH_LOGITS -> 1 / (1 + Math.exp(-x)) - t;
            case KL_DIV -> -t;
        };
    }

    @ParameterizedTest
    @EnumSource(LossKind.class)
    void elementwiseLosses(LossKind kind) {
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1], n = rows * cols;
            float[] x;
            float[] t;
            switch (kind) {
                case BCE -> {
                    x = rand(n, 0.001, 0.999);
                    t = rand(n, 0, 1);
                    if (n > 4) {
                        x[0] = 0f;
                        t[0] = 0f;
                        x[1] = 1f;
                        t[1] = 0f;  // log(1 - 1) is clamped at -100
                        x[2] = 1e-30f;
                        t[2] = 1f;
                    }
                }
                case KL_DIV -> {
                    x = rand(n, -4, 0);
                    t = rand(n, 0, 1);
                    t[0] = 0f;
                }
                default -> {
                    x = rand(n, -3, 3);
                    t = rand(n, -3, 3);
                    if (kind == LossKind.BCE_WITH_LOGITS) {
                        t = rand(n, 0, 1);
                    }
                    if (kind == LossKind.L1) {
                        t[0] = x[0];
                    }
                }
            }
            DeviceBuffer dx = up(x);
            DeviceBuffer dt = up(t);
            DeviceBuffer loss = alloc(DType.F32, 1);
            DeviceBuffer grad = alloc(DType.F32, n);
            for (Reduction red : Reduction.values()) {
                eng.loss(kind, dx, dt, loss, grad, rows, cols, red);
                float gotLoss = down(loss, 1)[0];
                float[] g = down(grad, n);
                double scale = switch (red) {
                    case SUM -> 1;
                    case MEAN -> 1.0 / n;
                    case BATCHMEAN -> 1.0 / rows;
                };
                double total = 0;
                double abs = 0;
                for (int i = 0; i < n; i++) {
                    double term = refLoss(kind, x[i], t[i]);
                    total += term;
                    abs += Math.abs(term);
                    close(refLossGrad(kind, x[i], t[i]) * scale, g[i], 1e-6, 1e-5,
                            kind + " " + red + " grad x=" + x[i] + " t=" + t[i]);
                }
                close(total * scale, gotLoss, 1e-6 * abs * scale, 1e-5, kind + " " + red + " " + rows + "x" + cols);
                eng.loss(kind, dx, dt, loss, null, rows, cols, red);
                assertEquals(gotLoss, down(loss, 1)[0], "loss without gradient");
            }
        }
    }

    // ------------------------------------------------------------------ optimizers

    @Test
    void sgdVariants() {
        SgdParams[] ps = {SgdParams.plain(), new SgdParams(0.9f, 0.1f, 0.01f, false), new SgdParams(0.9f, 0f, 0.001f, true)};
        int n = 1001;
        for (SgdParams p : ps) {
            float[] param = rand(n, -1, 1);
            double[] rp = toDouble(param);
            double[] rbuf = new double[n];
            DeviceBuffer dp = up(param);
            DeviceBuffer mom = p.hasMomentum() ? alloc(DType.F32, n) : null;
            float lr = 0.05f;
            for (long step = 1; step <= 3; step++) {
                float[] g = rand(n, -1, 1);
                eng.sgdStep(dp, up(g), mom, n, p, lr, step);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + (double) p.weightDecay() * rp[i];
                    if (p.hasMomentum()) {
                        rbuf[i] = step == 1 ? gi : p.momentum() * rbuf[i] + (1 - (double) p.dampening()) * gi;
                        gi = p.nesterov() ? gi + p.momentum() * rbuf[i] : rbuf[i];
                    }
                    rp[i] -= lr * gi;
                }
            }
            close(rp, down(dp, n), 1e-6, 1e-5, "sgd " + p);
        }
    }

    @Test
    void adamVariants() {
        AdamParams[] ps = {AdamParams.adam(), AdamParams.adam().withAmsgrad(true).withWeightDecay(0.01f), AdamParams.adamW(),
                AdamParams.adamW().withAmsgrad(true)};
        int n = 777;
        for (AdamParams p : ps) {
            float[] param = rand(n, -1, 1);
            double[] rp = toDouble(param);
            double[] m = new double[n], v = new double[n], vmax = new double[n];
            DeviceBuffer dp = up(param);
            DeviceBuffer dm = up(new float[n]);
            DeviceBuffer dv = up(new float[n]);
            DeviceBuffer dvmax = p.amsgrad() ? up(new float[n]) : null;
            float lr = 0.01f;
            for (long step = 1; step <= 4; step++) {
                float[] g = rand(n, -1, 1);
                eng.adamStep(dp, up(g), dm, dv, dvmax, n, p, lr, step);
                double bc1 = 1 - Math.pow(p.beta1(), step), bc2 = 1 - Math.pow(p.beta2(), step);
                for (int i = 0; i < n; i++) {
                    if (p.decoupled()) {
                        rp[i] *= 1 - lr * (double) p.weightDecay();
                    }
                    double gi = g[i] + (p.decoupled() ? 0 : p.weightDecay() * rp[i]);
                    m[i] = p.beta1() * m[i] + (1 - p.beta1()) * gi;
                    v[i] = p.beta2() * v[i] + (1 - p.beta2()) * gi * gi;
                    double vv = v[i];
                    if (p.amsgrad()) {
                        vmax[i] = Math.max(vmax[i], v[i]);
                        vv = vmax[i];
                    }
                    rp[i] -= lr / bc1 * m[i] / (Math.sqrt(vv) / Math.sqrt(bc2) + p.eps());
                }
            }
            close(rp, down(dp, n), 1e-6, 1e-5, "adam " + p);
            close(m, down(dm, n), 1e-6, 1e-5, "adam m " + p);
            close(v, down(dv, n), 1e-6, 1e-5, "adam v " + p);
        }
    }

    @Test
    void rmspropVariants() {
        RmsPropParams[] ps = {RmsPropParams.defaults(), new RmsPropParams(0.9f, 1e-6f, 0.01f, 0.5f, true),
                new RmsPropParams(0.99f, 1e-8f, 0f, 0.9f, false), new RmsPropParams(0.95f, 1e-8f, 0f, 0f, true)};
        int n = 300;
        for (RmsPropParams p : ps) {
            float[] param = rand(n, -1, 1);
            double[] rp = toDouble(param);
            double[] sq = new double[n], ga = new double[n], buf = new double[n];
            DeviceBuffer dp = up(param);
            DeviceBuffer dsq = up(new float[n]);
            DeviceBuffer dga = p.centered() ? up(new float[n]) : null;
            DeviceBuffer dbuf = p.momentum() > 0 ? up(new float[n]) : null;
            float lr = 0.01f;
            for (long step = 1; step <= 3; step++) {
                float[] g = rand(n, -1, 1);
                eng.rmspropStep(dp, up(g), dsq, dga, dbuf, n, p, lr, step);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + p.weightDecay() * rp[i];
                    sq[i] = p.alpha() * sq[i] + (1 - p.alpha()) * gi * gi;
                    double avg;
                    if (p.centered()) {
                        ga[i] = p.alpha() * ga[i] + (1 - p.alpha()) * gi;
                        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + p.eps();
                    } else {
                        avg = Math.sqrt(sq[i]) + p.eps();
                    }
                    if (p.momentum() > 0) {
                        buf[i] = p.momentum() * buf[i] + gi / avg;
                        rp[i] -= lr * buf[i];
                    } else {
                        rp[i] -= lr * gi / avg;
                    }
                }
            }
            close(rp, down(dp, n), 1e-6, 1e-5, "rmsprop " + p);
        }
    }

    @Test
    void adagradVariants() {
        AdagradParams[] ps = {AdagradParams.defaults(), new AdagradParams(0.01f, 1e-10f, 0.05f, 0.1f)};
        int n = 300;
        for (AdagradParams p : ps) {
            float[] param = rand(n, -1, 1);
            double[] rp = toDouble(param);
            double[] sum = new double[n];
            Arrays.fill(sum, p.initialAccumulatorValue());
            DeviceBuffer dp = up(param);
            DeviceBuffer ds = alloc(DType.F32, n);
            eng.fill(ds, p.initialAccumulatorValue(), n);
            float lr = 0.1f;
            for (long step = 1; step <= 3; step++) {
                float[] g = rand(n, -1, 1);
                eng.adagradStep(dp, up(g), ds, n, p, lr, step);
                double clr = lr / (1 + (step - 1) * p.lrDecay());
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + p.weightDecay() * rp[i];
                    sum[i] += gi * gi;
                    rp[i] -= clr * gi / (Math.sqrt(sum[i]) + p.eps());
                }
            }
            close(rp, down(dp, n), 1e-6, 1e-5, "adagrad " + p);
        }
    }

    // ------------------------------------------------------------------ argmax and accuracy

    @Test
    void theRowWiseTestsRunBothLaunchShapes() {
        // SHAPES' 1000-wide rows and the 300-wide ones below take a work-group per row; their 1 to
        // 129-wide ones (on a GPU those up to 32 wide) a work-item per row. Likewise for the bias
        // gradient's columns of 300 rows and of 1 to 200 (on a GPU up to 32).
        int narrow = eng.narrowCols();
        assertTrue(narrow >= 20 && narrow < 300, "narrow rows up to " + narrow + " columns");
    }

    /** 300 columns: a work-group per row; 20: a work-item per row (OpenClEngine.runRowWise). */
    @ParameterizedTest
    @ValueSource(ints = {300, 20})
    void argmaxFirstMaximumNaNWinsAndCountCorrect(int cols) {
        int rows = 5;
        int last = cols - 1;
        float[] x = rand(rows * cols, -1, 1);
        x[0 * cols + 7] = 5f;
        x[0 * cols + 2 * cols / 3] = 5f;     // tie: the first one wins
        x[1 * cols + last] = 9f;             // beyond the first work-group stride
        x[2 * cols + 3] = Float.NaN;         // NaN counts as the maximum
        x[2 * cols + cols / 3 + 3] = Float.NaN;
        x[3 * cols + cols / 2] = Float.POSITIVE_INFINITY;
        Arrays.fill(x, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY);
        DeviceBuffer dx = up(x);
        DeviceBuffer out = alloc(DType.I32, rows);
        eng.argmax(dx, out, rows, cols);
        assertArrayEquals(new int[] {7, last, 3, cols / 2, 0}, OpenClTestSupport.downInts(eng, out, rows));
        DeviceBuffer labels = upInts(new int[] {7, last, 4, cols / 2, 1});
        DeviceBuffer counter = alloc(DType.I32, 1);
        eng.fillInt(counter, 10, 1);
        eng.countCorrect(dx, labels, counter, rows, cols);
        eng.countCorrect(dx, labels, counter, rows, cols);
        assertEquals(16, OpenClTestSupport.downInts(eng, counter, 1)[0]);
    }

    // ------------------------------------------------------------------ pooling

    @Test
    void aWarmTrainingStepAllocatesNoNewDeviceMemory() {
        int batch = 64, in = 784, hidden = 128, classes = 10;
        DeviceBuffer x = up(rand(batch * in, 0, 1));
        DeviceBuffer w = up(rand(in * hidden, -0.05, 0.05));
        DeviceBuffer w2 = up(rand(hidden * classes, -0.05, 0.05));
        int[] lab = new int[batch];
        DeviceBuffer labels = upInts(lab);
        long before = -1;
        for (int step = 1; step <= 3; step++) {
            if (step == 3) {
                before = eng.bufferCreations();
            }
            DeviceBuffer h = eng.allocate(DType.F32, batch * hidden);
            DeviceBuffer logits = eng.allocate(DType.F32, batch * classes);
            DeviceBuffer grad = eng.allocate(DType.F32, batch * classes);
            DeviceBuffer loss = eng.allocate(DType.F32, 1);
            DeviceBuffer dw2 = eng.allocate(DType.F32, hidden * classes);
            eng.gemm(false, false, batch, hidden, in, 1f, x, w, 0f, h);
            eng.activation(Activation.RELU, 0f, h, h, batch, hidden);
            eng.gemm(false, false, batch, classes, hidden, 1f, h, w2, 0f, logits);
            eng.softmaxCrossEntropy(logits, labels, loss, grad, batch, classes, Reduction.MEAN, 0f);
            eng.gemm(true, false, hidden, classes, batch, 1f, h, grad, 0f, dw2);
            eng.sgdStep(w2, dw2, null, hidden * classes, SgdParams.plain(), 0.1f, step);
            float l = down(loss, 1)[0];
            assertTrue(Float.isFinite(l));
            for (DeviceBuffer b : new DeviceBuffer[] {h, logits, grad, loss, dw2}) {
                eng.free(b);
            }
        }
        assertEquals(before, eng.bufferCreations(), "the third step reused pooled buffers only");
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
