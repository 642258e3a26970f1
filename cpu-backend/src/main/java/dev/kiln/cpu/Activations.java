package dev.kiln.cpu;

import dev.kiln.core.Activation;

/**
 * Activation functions and their gradients on float arrays, with PyTorch's formulas; each value
 * is computed in double and rounded once. With SIMD on, {@link VectorActivations} and
 * {@link VectorLosses} take over the transcendental ones and the softmax exponentials.
 */
final class Activations {
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double GELU_KAPPA = 0.044715;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    /** PyTorch's softplus threshold (beta 1): above it softplus(x) is x. */
    private static final double SOFTPLUS_THRESHOLD = 20.0;

    private Activations() {
    }

    /** y[from..to) = act(x[from..to)) for an elementwise activation. */
    static void forward(Activation act, float slope, float[] x, float[] y, int from, int to) {
        switch (act) {
            case RELU -> {
                for (int i = from; i < to; i++) {
                    y[i] = Math.max(x[i], 0f); // NaN stays NaN, as in PyTorch
                }
            }
            case LEAKY_RELU -> {
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    y[i] = v > 0f ? v : v * slope;
                }
            }
            case SIGMOID -> {
                for (int i = from; i < to; i++) {
                    y[i] = (float) sigmoid(x[i]);
                }
            }
            case TANH -> {
                for (int i = from; i < to; i++) {
                    y[i] = (float) Math.tanh(x[i]);
                }
            }
            case GELU_ERF -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    y[i] = (float) (v * SpecialMath.normalCdf(v));
                }
            }
            case GELU_TANH -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    y[i] = (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_KAPPA * v * v * v))));
                }
            }
            case SOFTPLUS -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    y[i] = v > SOFTPLUS_THRESHOLD ? (float) v : (float) Math.log1p(Math.exp(v));
                }
            }
            default -> throw new IllegalArgumentException(act + " is not elementwise");
        }
    }

    /** dx[from..to) from dy, x and y for an elementwise activation; dx may be dy. */
    static void backward(Activation act, float slope, float[] x, float[] y, float[] dy, float[] dx, int from,
                         int to) {
        switch (act) {
            case RELU -> {
                // PyTorch's threshold_backward looks at the output: 0 where y <= 0, so a NaN
                // input (NaN output) passes its gradient through.
                for (int i = from; i < to; i++) {
                    dx[i] = y[i] <= 0f ? 0f : dy[i];
                }
            }
            case LEAKY_RELU -> {
                for (int i = from; i < to; i++) {
                    dx[i] = x[i] > 0f ? dy[i] : dy[i] * slope;
                }
            }
            case SIGMOID -> {
                for (int i = from; i < to; i++) {
                    double s = y[i];
                    dx[i] = (float) (dy[i] * s * (1.0 - s));
                }
            }
            case TANH -> {
                for (int i = from; i < to; i++) {
                    double t = y[i];
                    dx[i] = (float) (dy[i] * (1.0 - t * t));
                }
            }
            case GELU_ERF -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
                    dx[i] = (float) (dy[i] * (SpecialMath.normalCdf(v) + v * pdf));
                }
            }
            case GELU_TANH -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double v2 = v * v;
                    double t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_KAPPA * v2 * v));
                    double left = 0.5 * v;
                    double leftDerivative = 0.5 * (1.0 + t);
                    double rightDerivative = left * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_KAPPA * v2);
                    dx[i] = (float) (dy[i] * (leftDerivative + rightDerivative));
                }
            }
            case SOFTPLUS -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    dx[i] = v > SOFTPLUS_THRESHOLD ? dy[i] : (float) (dy[i] * sigmoid(v));
                }
            }
            default -> throw new IllegalArgumentException(act + " is not elementwise");
        }
    }

    /** Softmax (or log-softmax) of rows [r0, r1) of a rows x cols matrix. */
    static void softmaxRows(boolean log, float[] x, float[] y, int cols, int r0, int r1) {
        double[] e = log ? null : new double[cols];
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            float max = rowMax(x, o, cols);
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                double v = Math.exp((double) x[o + j] - max);
                if (e != null) {
                    e[j] = v;
                }
                sum += v;
            }
            if (log) {
                double lse = Math.log(sum);
                for (int j = 0; j < cols; j++) {
                    y[o + j] = (float) ((double) x[o + j] - max - lse);
                }
            } else {
                double inv = 1.0 / sum;
                for (int j = 0; j < cols; j++) {
                    y[o + j] = (float) (e[j] * inv);
                }
            }
        }
    }

    /**
     * Softmax backward {@code dx = y (dy - sum(dy y))}, or log-softmax backward
     * {@code dx = dy - exp(y) sum(dy)}, over rows [r0, r1); dx may be dy.
     */
    static void softmaxRowsBackward(boolean log, float[] y, float[] dy, float[] dx, int cols, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            double s = 0;
            if (log) {
                for (int j = 0; j < cols; j++) {
                    s += dy[o + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[o + j] = (float) (dy[o + j] - Math.exp(y[o + j]) * s);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    s += (double) dy[o + j] * y[o + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[o + j] = (float) (y[o + j] * (dy[o + j] - s));
                }
            }
        }
    }

    /**
     * The row's maximum; NaN if the row holds one (so the whole row becomes NaN, as in PyTorch).
     * {@code Math.max} rather than a compare and branch: it propagates NaN, and C2 compiles it
     * without branches (a branch per element mispredicted on random logits).
     */
    static float rowMax(float[] x, int o, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, x[o + j]);
        }
        return max;
    }

    static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }
}
