package dev.kiln.cpu;

import dev.kiln.core.LossKind;

/**
 * Loss functions with their gradients, PyTorch's formulas, each term in double.
 *
 * <p>Per-element (or per-row) terms are summed in fixed chunks whose partial sums are added in
 * order, so the loss does not depend on how many threads computed the chunks.
 */
final class Losses {
    /** PyTorch clamps BCE's logs at -100 so that log(0) stays finite. */
    private static final double BCE_LOG_MIN = -100.0;
    /** PyTorch's lower bound for x(1 - x) in the BCE gradient. */
    private static final double BCE_GRAD_EPS = 1e-12;

    private Losses() {
    }

    /**
     * The sum over rows [r0, r1) of the softmax-cross-entropy of each row, writing
     * {@code gradScale * (softmax - target)} into {@code grad} when it is not null.
     * Labels were checked by the caller.
     */
    /** This thread's scratch row for {@link #softmaxCrossEntropyRows}, so a warmed-up call allocates nothing. */
    private static final ThreadLocal<double[][]> EXP_ROW = ThreadLocal.withInitial(() -> new double[1][0]);

    private static double[] expScratch(int cols) {
        double[][] holder = EXP_ROW.get();
        if (holder[0].length < cols) {
            holder[0] = new double[Math.max(cols, 16)];
        }
        return holder[0];
    }

    static double softmaxCrossEntropyRows(float[] x, int[] labels, float[] grad, int cols, float smoothing,
                                          double gradScale, int r0, int r1) {
        double total = 0;
        double ls = smoothing;
        double onHot = 1.0 - ls;
        double uniform = ls / cols;
        double[] e = grad == null ? null : expScratch(cols); // exp(x - max), kept for the gradient
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            float max = Activations.rowMax(x, o, cols);
            double sumExp = 0;
            double sumX = 0;
            for (int j = 0; j < cols; j++) {
                double v = x[o + j];
                double ev = Math.exp(v - max);
                if (e != null) {
                    e[j] = ev;
                }
                sumExp += ev;
                sumX += v;
            }
            double lse = max + Math.log(sumExp);
            int label = labels[r];
            // -sum_j target_j log p_j with log p_j = x_j - lse and sum_j target_j = 1.
            double loss = lse - onHot * x[o + label];
            if (ls != 0.0) {
                loss -= uniform * sumX;
            }
            total += loss;
            if (grad != null) {
                double inv = 1.0 / sumExp;
                for (int j = 0; j < cols; j++) {
                    double p = e[j] * inv;
                    double t = (j == label ? onHot : 0.0) + uniform;
                    grad[o + j] = (float) ((p - t) * gradScale);
                }
            }
        }
        return total;
    }

    /** The sum over elements [from, to) of a loss's terms; {@code gradScale * dloss/dx} goes to grad if not null. */
    static double elementwise(LossKind kind, float[] x, float[] t, float[] grad, double gradScale, int from, int to) {
        double total = 0;
        switch (kind) {
            case MSE -> {
                for (int i = from; i < to; i++) {
                    double d = (double) x[i] - t[i];
                    total += d * d;
                    if (grad != null) {
                        grad[i] = (float) (2.0 * d * gradScale);
                    }
                }
            }
            case L1 -> {
                for (int i = from; i < to; i++) {
                    double d = (double) x[i] - t[i];
                    total += Math.abs(d);
                    if (grad != null) {
                        // torch.sign: 0 where equal and 0 for NaN (Math.signum would give NaN).
                        grad[i] = (float) ((d > 0 ? 1 : d < 0 ? -1 : 0) * gradScale);
                    }
                }
            }
            case BCE -> {
                for (int i = from; i < to; i++) {
                    double xi = x[i];
                    double ti = t[i];
                    double logX = Math.max(Math.log(xi), BCE_LOG_MIN);
                    double log1mX = Math.max(Math.log(1.0 - xi), BCE_LOG_MIN);
                    total += -(ti * logX + (1.0 - ti) * log1mX);
                    if (grad != null) {
                        grad[i] = (float) ((xi - ti) / Math.max(xi * (1.0 - xi), BCE_GRAD_EPS) * gradScale);
                    }
                }
            }
            case BCE_WITH_LOGITS -> {
                for (int i = from; i < to; i++) {
                    double xi = x[i];
                    double ti = t[i];
                    total += Math.max(xi, 0.0) - xi * ti + Math.log1p(Math.exp(-Math.abs(xi)));
                    if (grad != null) {
                        grad[i] = (float) ((Activations.sigmoid(xi) - ti) * gradScale);
                    }
                }
            }
            case KL_DIV -> {
                for (int i = from; i < to; i++) {
                    double ti = t[i];
                    if (ti > 0) {
                        total += ti * (Math.log(ti) - x[i]);
                    }
                    if (grad != null) {
                        grad[i] = ti > 0 ? (float) (-ti * gradScale) : 0f;
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown loss " + kind);
        }
        return total;
    }
}
