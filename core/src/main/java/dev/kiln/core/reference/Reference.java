package dev.kiln.core.reference;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;

/**
 * The float64 oracle: every op of {@link dev.kiln.core.spi.ComputeEngine} as plain double-precision
 * loops, with PyTorch 1.13's semantics, against which every backend is checked.
 *
 * <p>Arrays are row-major; each method reads and writes only the prefix its dimensions name, so
 * callers may pass larger arrays. Speed is no goal here: clarity and accuracy are. Where PyTorch's
 * float32 code uses a formula that loses accuracy (like {@code log(1 - x)}), this class computes the
 * same mathematical value the accurate way ({@code log1p(-x)}), because it is the oracle.
 *
 * <p>Hyper-parameters are doubles; the overloads taking Kiln's parameter records widen their
 * float fields exactly.
 */
public final class Reference {
    /** sqrt(2/pi), GELU-tanh's constant. */
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    /** 0.044715, GELU-tanh's cubic coefficient. */
    private static final double GELU_KAPPA = 0.044715;
    /** 1/sqrt(2pi), the standard normal density at 0. */
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    /** PyTorch's softplus threshold (beta 1): above it softplus(x) is x. */
    public static final double SOFTPLUS_THRESHOLD = 20.0;
    /** PyTorch clamps BCE's logs at this value so that log(0) gives a finite loss. */
    public static final double BCE_LOG_CLAMP = -100.0;
    /** PyTorch's floor on {@code x(1 - x)} in the BCE gradient. */
    public static final double BCE_GRAD_EPS = 1e-12;

    private Reference() {
    }

    // ================================================================ BLAS-like

    /**
     * {@code C = alpha op(A) op(B) + beta C}; {@code A} is k x m when {@code transA} else m x k,
     * {@code B} is n x k when {@code transB} else k x n. When {@code beta == 0}, C is not read.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a,
                            double[] b, double beta, double[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int l = 0; l < k; l++) {
                    double av = transA ? a[l * m + i] : a[i * k + l];
                    double bv = transB ? b[j * k + l] : b[l * n + j];
                    acc += av * bv;
                }
                // beta == 0 must not read C: NaN or garbage there must not propagate (BLAS convention).
                c[i * n + j] = beta == 0 ? alpha * acc : alpha * acc + beta * c[i * n + j];
            }
        }
    }

    /** {@code y[r][c] = x[r][c] + bias[c]}; {@code y} may be {@code x}. */
    public static void biasAdd(double[] x, double[] bias, double[] y, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] + bias[c];
            }
        }
    }

    /** {@code db[c] = sum_r dy[r][c] + beta db[c]}; when {@code beta == 0}, db is not read. */
    public static void biasGrad(double[] dy, double[] db, int rows, int cols, double beta) {
        for (int c = 0; c < cols; c++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += dy[r * cols + c];
            }
            db[c] = beta == 0 ? s : s + beta * db[c];
        }
    }

    // ================================================================ activations

    /**
     * {@code y = act(x)} over a rows x cols array: elementwise, or per row for softmax and
     * log-softmax. {@code param} is LeakyReLU's negative slope. {@code y} may be {@code x}.
     */
    public static void activation(Activation act, double param, double[] x, double[] y, int rows, int cols) {
        if (act == Activation.SOFTMAX || act == Activation.LOG_SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                double max = rowMax(x, o, cols);
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += Math.exp(x[o + j] - max);
                }
                if (act == Activation.SOFTMAX) {
                    for (int j = 0; j < cols; j++) {
                        y[o + j] = Math.exp(x[o + j] - max) / s;
                    }
                } else {
                    double lse = max + Math.log(s);
                    for (int j = 0; j < cols; j++) {
                        y[o + j] = x[o + j] - lse;
                    }
                }
            }
            return;
        }
        int n = rows * cols;
        for (int i = 0; i < n; i++) {
            y[i] = activation(act, param, x[i]);
        }
    }

    /** An elementwise activation of one value; not for softmax or log-softmax. */
    public static double activation(Activation act, double param, double x) {
        switch (act) {
            case RELU:
                // Math.max keeps NaN, as torch.relu does.
                return Math.max(x, 0.0);
            case LEAKY_RELU:
                return x > 0 ? x : param * x;
            case SIGMOID:
                return sigmoid(x);
            case TANH:
                return Math.tanh(x);
            case GELU_ERF:
                return x * normalCdf(x);
            case GELU_TANH:
                // 0.5 (1 + tanh(u)) = sigmoid(2u), which stays accurate where tanh(u) is near -1.
                return x * sigmoid(2 * geluTanhInner(x));
            case SOFTPLUS:
                return x > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x));
            default:
                throw new IllegalArgumentException(act + " is not elementwise");
        }
    }

    /**
     * {@code dx = dL/dx} from {@code dy}, the forward input {@code x} and output {@code y}, as
     * PyTorch's backward formulas use them (ReLU, sigmoid, tanh, softmax, log-softmax read
     * {@code y}; LeakyReLU, GELU and softplus read {@code x}). {@code dx} may be {@code dy}.
     */
    public static void activationBackward(Activation act, double param, double[] x, double[] y, double[] dy,
                                          double[] dx, int rows, int cols) {
        if (act == Activation.SOFTMAX || act == Activation.LOG_SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += act == Activation.SOFTMAX ? dy[o + j] * y[o + j] : dy[o + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[o + j] = act == Activation.SOFTMAX ? y[o + j] * (dy[o + j] - s)
                            : dy[o + j] - Math.exp(y[o + j]) * s;
                }
            }
            return;
        }
        int n = rows * cols;
        for (int i = 0; i < n; i++) {
            dx[i] = activationBackward(act, param, x[i], y[i], dy[i]);
        }
    }

    /** The elementwise backward of one value; not for softmax or log-softmax. */
    public static double activationBackward(Activation act, double param, double x, double y, double dy) {
        switch (act) {
            case RELU:
                // torch's threshold_backward(grad, result, 0): zero where the output is <= 0.
                return y <= 0 ? 0.0 : dy;
            case LEAKY_RELU:
                return x > 0 ? dy : dy * param;
            case SIGMOID:
                return dy * y * (1 - y);
            case TANH:
                return dy * (1 - y * y);
            case GELU_ERF:
                return dy * (normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
            case GELU_TANH: {
                double s = sigmoid(2 * geluTanhInner(x)); // = 0.5 (1 + tanh u)
                double sech2 = 4 * s * (1 - s);           // = 1 - tanh(u)^2
                double inner = SQRT_2_OVER_PI * (1 + 3 * GELU_KAPPA * x * x);
                return dy * (s + 0.5 * x * sech2 * inner);
            }
            case SOFTPLUS:
                return x > SOFTPLUS_THRESHOLD ? dy : dy * sigmoid(x);
            default:
                throw new IllegalArgumentException(act + " is not elementwise");
        }
    }

    private static double geluTanhInner(double x) {
        return SQRT_2_OVER_PI * (x + GELU_KAPPA * x * x * x);
    }

    /** The logistic function, accurate in both tails. */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** The standard normal CDF {@code Phi(x) = erfc(-x / sqrt 2) / 2}, accurate in both tails. */
    public static double normalCdf(double x) {
        return 0.5 * erfc(-x * INV_SQRT_2);
    }

    // ---------------------------------------------------------------- erf

    /** The error function, to within a few ulps (Java has none). */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r = ax < ERF_SERIES_LIMIT ? erfSeries(ax) : 1 - erfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /** The complementary error function {@code 1 - erf(x)}, with full relative accuracy for large x. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < ERFC_DIRECT) {
            // 1 - erf(x) loses nothing here: erf(x) <= erf(0.5) ~ 0.52, or x < 0 and it is a sum.
            return 1 - erf(x);
        }
        return x < ERF_SERIES_LIMIT ? erfcMid(x) : erfcContinuedFraction(x);
    }

    /** Below this |x| the series is used for erf; above, the continued fraction for erfc. */
    private static final double ERF_SERIES_LIMIT = 3.0;
    /** Below this x, erfc is 1 - erf without cancellation worth mentioning. */
    private static final double ERFC_DIRECT = 0.5;

    /**
     * erf for 0 <= x < 3 by the series {@code erf x = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!},
     * whose terms are all positive: no cancellation, unlike the Taylor series of erf itself.
     */
    private static double erfSeries(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 500; n++) {
            term *= 2 * x2 / (2 * n + 1);
            double next = sum + term;
            if (next == sum) {
                break;
            }
            sum = next;
        }
        return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
    }

    /**
     * erfc for 0.5 <= x < 3, where {@code 1 - erf(x)} would cancel up to five digits and the
     * continued fraction converges slowly: {@code erfc(x) = erfc(3) + 2/sqrt(pi) \int_x^3 e^{-t^2} dt},
     * the integral by 8-point Gauss-Legendre on panels of width at most 1/8 (all terms positive).
     */
    private static double erfcMid(double x) {
        double result = erfcContinuedFraction(ERF_SERIES_LIMIT);
        double span = ERF_SERIES_LIMIT - x;
        int panels = Math.max(1, (int) Math.ceil(span / 0.125));
        double h = span / panels;
        double integral = 0;
        for (int p = 0; p < panels; p++) {
            double a = x + p * h;
            double mid = a + h / 2;
            double s = 0;
            for (int q = 0; q < GL_NODES.length; q++) {
                double t = mid + h / 2 * GL_NODES[q];
                s += GL_WEIGHTS[q] * Math.exp(-t * t);
            }
            integral += s * h / 2;
        }
        return result + TWO_OVER_SQRT_PI * integral;
    }

    /** erfc(x) for x >= 0.5 by its continued fraction (modified Lentz); fast for x >= 3. */
    private static double erfcContinuedFraction(double x) {
        if (x > 27) {
            return 0; // below the smallest double
        }
        // erfc x = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        final double tiny = 1e-300;
        double f = x;
        double cc = f;
        double d = 0;
        for (int i = 1; i < 5000; i++) {
            double an = i * 0.5;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            cc = x + an / cc;
            cc = cc == 0 ? tiny : cc;
            d = 1 / d;
            double delta = cc * d;
            f *= delta;
            if (Math.abs(delta - 1) < 3e-16) {
                break;
            }
        }
        return expMinusSquare(x) * INV_SQRT_PI / f;
    }

    /**
     * {@code exp(-x^2)} without the error of rounding {@code x^2} first, which exp would magnify
     * by {@code x^2} (about 4e-15 relative at x = 6): the rounding error, exact by fma, is
     * applied as a first-order correction.
     */
    private static double expMinusSquare(double x) {
        double x2 = x * x;
        double lo = Math.fma(x, x, -x2);
        return Math.exp(-x2) * (1 - lo);
    }

    /** 8-point Gauss-Legendre nodes on [-1, 1], used by {@link #erfcMid}. */
    private static final double[] GL_NODES;
    private static final double[] GL_WEIGHTS;

    static {
        // Computed once by Newton's method on the Legendre polynomial, so no table is transcribed.
        int n = 8;
        GL_NODES = new double[n];
        GL_WEIGHTS = new double[n];
        for (int i = 0; i < n; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++) {
                double p0 = 1;
                double p1 = 0;
                for (int j = 1; j <= n; j++) {
                    double p2 = p1;
                    p1 = p0;
                    p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
                }
                dp = n * (z * p0 - p1) / (z * z - 1);
                double z1 = z;
                z = z1 - p0 / dp;
                if (Math.abs(z - z1) < 1e-16) {
                    break;
                }
            }
            GL_NODES[i] = z;
            GL_WEIGHTS[i] = 2 / ((1 - z * z) * dp * dp);
        }
    }

    // ================================================================ losses

    /**
     * Softmax-cross-entropy of rows x cols logits against class labels, with label smoothing
     * {@code ls} (target {@code (1 - ls) onehot + ls / cols}). Returns the loss (mean over rows or
     * sum); when {@code grad} is not null, writes {@code softmax(x) - target} (divided by rows
     * for MEAN) into it.
     *
     * @throws IllegalArgumentException for a label outside {@code [0, cols)}, naming the row, or BATCHMEAN
     */
    public static double softmaxCrossEntropy(double[] logits, int[] labels, double[] grad, int rows, int cols,
                                             Reduction reduction, double labelSmoothing) {
        if (reduction == Reduction.BATCHMEAN) {
            throw new IllegalArgumentException("softmaxCrossEntropy: BATCHMEAN is for kl_div; use MEAN or SUM");
        }
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= cols) {
                throw new IllegalArgumentException("softmaxCrossEntropy: label " + labels[r] + " at row " + r
                        + " is out of range [0, " + cols + ")");
            }
        }
        double scale = reduction == Reduction.MEAN ? 1.0 / rows : 1.0;
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double max = rowMax(logits, o, cols);
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(logits[o + j] - max);
            }
            double lse = max + Math.log(s);
            int y = labels[r];
            double rowLoss = -(1 - labelSmoothing) * (logits[o + y] - lse);
            // PyTorch only forms the smoothing term when ls > 0, so a -inf logit does not give 0 * inf.
            if (labelSmoothing > 0) {
                double sumLogp = 0;
                for (int j = 0; j < cols; j++) {
                    sumLogp += logits[o + j] - lse;
                }
                rowLoss -= labelSmoothing / cols * sumLogp;
            }
            total += rowLoss;
            if (grad != null) {
                for (int j = 0; j < cols; j++) {
                    double target = (j == y ? 1 - labelSmoothing : 0) + labelSmoothing / cols;
                    grad[o + j] = (Math.exp(logits[o + j] - lse) - target) * scale;
                }
            }
        }
        return total * scale;
    }

    /**
     * An elementwise loss over rows x cols {@code input} and {@code target} (see {@link LossKind}):
     * returns the reduced loss and, when {@code grad} is not null, writes the gradient with respect
     * to the input, scaled by the reduction.
     *
     * @throws IllegalArgumentException for BCE with an input outside [0, 1], as PyTorch does
     */
    public static double loss(LossKind kind, double[] input, double[] target, double[] grad, int rows, int cols,
                              Reduction reduction) {
        int n = rows * cols;
        double scale = switch (reduction) {
            case MEAN -> 1.0 / n;
            case SUM -> 1.0;
            case BATCHMEAN -> 1.0 / rows;
        };
        double total = 0;
        for (int i = 0; i < n; i++) {
            double x = input[i];
            double t = target[i];
            double term;
            double g;
            switch (kind) {
                case MSE -> {
                    double d = x - t;
                    term = d * d;
                    g = 2 * d;
                }
                case L1 -> {
                    double d = x - t;
                    term = Math.abs(d);
                    // torch.sign is (0 < d) - (d < 0): 0 where equal and 0 for NaN (not NaN).
                    g = d > 0 ? 1 : d < 0 ? -1 : 0;
                }
                case BCE -> {
                    if (!(x >= 0 && x <= 1)) {
                        throw new IllegalArgumentException("loss(bce): input " + x + " at index " + i
                                + " (row " + i / cols + ") is outside [0, 1]");
                    }
                    double logX = Math.max(Math.log(x), BCE_LOG_CLAMP);
                    double log1mX = Math.max(Math.log1p(-x), BCE_LOG_CLAMP);
                    term = -(t * logX + (1 - t) * log1mX);
                    g = (x - t) / Math.max((1 - x) * x, BCE_GRAD_EPS);
                }
                case BCE_WITH_LOGITS -> {
                    term = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
                    g = sigmoid(x) - t;
                }
                case KL_DIV -> {
                    term = t == 0 ? 0 : t * (Math.log(t) - x);
                    g = t == 0 ? 0 : -t;
                }
                default -> throw new IllegalArgumentException("unknown loss " + kind);
            }
            total += term;
            if (grad != null) {
                grad[i] = g * scale;
            }
        }
        return total * scale;
    }

    // ================================================================ optimizers

    /** One SGD step (see {@link SgdParams}); {@code momentumBuf} may be null without momentum. */
    public static void sgdStep(double[] param, double[] grad, double[] momentumBuf, int n, double momentum,
                               double dampening, double weightDecay, boolean nesterov, double lr, long step) {
        for (int i = 0; i < n; i++) {
            double g = grad[i];
            if (weightDecay != 0) {
                g += weightDecay * param[i];
            }
            if (momentum != 0) {
                // PyTorch: the buffer is a clone of the gradient on the first step (no dampening).
                double buf = step == 1 ? g : momentum * momentumBuf[i] + (1 - dampening) * g;
                momentumBuf[i] = buf;
                g = nesterov ? g + momentum * buf : buf;
            }
            param[i] -= lr * g;
        }
    }

    /** One SGD step with Kiln's parameter record. */
    public static void sgdStep(double[] param, double[] grad, double[] momentumBuf, int n, SgdParams p, double lr,
                               long step) {
        sgdStep(param, grad, momentumBuf, n, p.momentum(), p.dampening(), p.weightDecay(), p.nesterov(), lr, step);
    }

    /**
     * One Adam or AdamW ({@code decoupled}) step, exactly as PyTorch 1.13's single-tensor code:
     * {@code step_size = lr / (1 - b1^t)}, {@code denom = sqrt(v) / sqrt(1 - b2^t) + eps},
     * {@code p -= step_size m / denom}. {@code maxExpAvgSq} is used only with AMSGrad.
     */
    public static void adamStep(double[] param, double[] grad, double[] expAvg, double[] expAvgSq,
                                double[] maxExpAvgSq, int n, double beta1, double beta2, double eps,
                                double weightDecay, boolean amsgrad, boolean decoupled, double lr, long step) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        for (int i = 0; i < n; i++) {
            double g = grad[i];
            if (decoupled) {
                param[i] *= 1 - lr * weightDecay;
            } else if (weightDecay != 0) {
                g += weightDecay * param[i];
            }
            double m = beta1 * expAvg[i] + (1 - beta1) * g;
            double v = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
            expAvg[i] = m;
            expAvgSq[i] = v;
            if (amsgrad) {
                v = Math.max(maxExpAvgSq[i], v); // Math.max keeps NaN, as torch.maximum
                maxExpAvgSq[i] = v;
            }
            double denom = Math.sqrt(v) / bc2Sqrt + eps;
            param[i] -= stepSize * m / denom;
        }
    }

    /** One Adam/AdamW step with Kiln's parameter record. */
    public static void adamStep(double[] param, double[] grad, double[] expAvg, double[] expAvgSq,
                                double[] maxExpAvgSq, int n, AdamParams p, double lr, long step) {
        adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, n, p.beta1(), p.beta2(), p.eps(), p.weightDecay(),
                p.amsgrad(), p.decoupled(), lr, step);
    }

    /**
     * One RMSprop step (see {@link RmsPropParams}); {@code gradAvg} is used only when centered,
     * {@code momentumBuf} only with momentum (it starts at zeros, as PyTorch's state does).
     * PyTorch's RMSprop does not use the step count.
     */
    public static void rmspropStep(double[] param, double[] grad, double[] squareAvg, double[] gradAvg,
                                   double[] momentumBuf, int n, double alpha, double eps, double weightDecay,
                                   double momentum, boolean centered, double lr) {
        for (int i = 0; i < n; i++) {
            double g = grad[i];
            if (weightDecay != 0) {
                g += weightDecay * param[i];
            }
            double sq = alpha * squareAvg[i] + (1 - alpha) * g * g;
            squareAvg[i] = sq;
            double avg;
            if (centered) {
                double ga = alpha * gradAvg[i] + (1 - alpha) * g;
                gradAvg[i] = ga;
                avg = Math.sqrt(sq - ga * ga) + eps;
            } else {
                avg = Math.sqrt(sq) + eps;
            }
            if (momentum > 0) {
                double buf = momentum * momentumBuf[i] + g / avg;
                momentumBuf[i] = buf;
                param[i] -= lr * buf;
            } else {
                param[i] -= lr * g / avg;
            }
        }
    }

    /** One RMSprop step with Kiln's parameter record. */
    public static void rmspropStep(double[] param, double[] grad, double[] squareAvg, double[] gradAvg,
                                   double[] momentumBuf, int n, RmsPropParams p, double lr) {
        rmspropStep(param, grad, squareAvg, gradAvg, momentumBuf, n, p.alpha(), p.eps(), p.weightDecay(),
                p.momentum(), p.centered(), lr);
    }

    /** One Adagrad step (see {@link AdagradParams}); {@code step} is 1-based. */
    public static void adagradStep(double[] param, double[] grad, double[] stateSum, int n, double lrDecay,
                                   double eps, double weightDecay, double lr, long step) {
        double clr = lr / (1 + (step - 1) * lrDecay);
        for (int i = 0; i < n; i++) {
            double g = grad[i];
            if (weightDecay != 0) {
                g += weightDecay * param[i];
            }
            double s = stateSum[i] + g * g;
            stateSum[i] = s;
            param[i] -= clr * g / (Math.sqrt(s) + eps);
        }
    }

    /** One Adagrad step with Kiln's parameter record. */
    public static void adagradStep(double[] param, double[] grad, double[] stateSum, int n, AdagradParams p,
                                   double lr, long step) {
        adagradStep(param, grad, stateSum, n, p.lrDecay(), p.eps(), p.weightDecay(), lr, step);
    }

    // ================================================================ reductions and utilities

    /** {@code out[r]} = the index of the first maximum of row r; a NaN counts as the maximum. */
    public static void argmax(double[] x, int[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            out[r] = rowArgmax(x, r * cols, cols);
        }
    }

    /** The number of rows whose argmax equals the label (a label out of range never matches). */
    public static int countCorrect(double[] logits, int[] labels, int rows, int cols) {
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            if (rowArgmax(logits, r * cols, cols) == labels[r]) {
                correct++;
            }
        }
        return correct;
    }

    private static int rowArgmax(double[] x, int o, int cols) {
        int best = 0;
        double bv = x[o];
        if (Double.isNaN(bv)) {
            return 0;
        }
        for (int j = 1; j < cols; j++) {
            double v = x[o + j];
            if (Double.isNaN(v)) {
                return j;
            }
            if (v > bv) {
                bv = v;
                best = j;
            }
        }
        return best;
    }

    private static double rowMax(double[] x, int o, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            if (x[o + j] > m) {
                m = x[o + j];
            }
        }
        // All -inf: subtracting -inf would give NaN everywhere, which is also PyTorch's answer.
        return m;
    }

    /** Sets {@code n} values to {@code value}. */
    public static void fill(double[] x, double value, int n) {
        java.util.Arrays.fill(x, 0, n, value);
    }

    /** Copies {@code n} values. */
    public static void copy(double[] src, double[] dst, int n) {
        System.arraycopy(src, 0, dst, 0, n);
    }

    /** {@code x *= alpha}. */
    public static void scale(double[] x, double alpha, int n) {
        for (int i = 0; i < n; i++) {
            x[i] *= alpha;
        }
    }

    /** {@code y += alpha x}. */
    public static void axpy(double alpha, double[] x, double[] y, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += alpha * x[i];
        }
    }

    /** The L1, L2 or max norm of the first {@code n} values; NaN if any is NaN. */
    public static double norm(NormKind kind, double[] x, int n) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            double a = Math.abs(x[i]);
            switch (kind) {
                case L1 -> acc += a;
                case L2 -> acc += a * a;
                case LINF -> acc = Double.isNaN(a) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, a);
                default -> throw new IllegalArgumentException("unknown norm " + kind);
            }
        }
        return kind == NormKind.L2 ? Math.sqrt(acc) : acc;
    }

    /** The sum of the first {@code n} values. */
    public static double sum(double[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[i];
        }
        return s;
    }
}
