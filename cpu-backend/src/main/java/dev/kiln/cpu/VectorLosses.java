package dev.kiln.cpu;

/**
 * Softmax and softmax-cross-entropy with their exponentials in float SIMD
 * ({@link VectorActivations#expInPlace}: about 1 ulp, the same bits whether or not the JIT has
 * compiled it) instead of one double {@code Math.exp} per element; sums, logarithms, the loss and
 * the gradient stay in double as in {@link Losses} and {@link Activations}. A block of rows is shifted by each row's maximum into a per-thread array,
 * exponentiated as one contiguous run (so rows of 10 classes fill whole vectors), then reduced row
 * by row. Loaded only through {@link VectorSupport}.
 *
 * <p>Every element's exponential is the same vector code, the last partial vector included, so
 * results do not depend on how rows are split between threads.
 */
final class VectorLosses {
    /** Rows are exponentiated in blocks of about this many elements (one row at least), so the scratch stays small. */
    private static final int BLOCK = 4096;
    /** Per-thread: [0] the shifted and exponentiated block, [1] the block's row maxima. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {
        new float[0], new float[0]});

    private VectorLosses() {
    }

    /** Rows per block for {@code cols} columns. */
    private static int blockRows(int cols) {
        return Math.max(1, BLOCK / Math.max(1, cols));
    }

    /**
     * {@code exp(x - rowMax)} for rows [r0, r1) (at most {@link #blockRows}) into {@code sc[0]}, the
     * row maxima into {@code sc[1]}.
     */
    private static void shiftedExp(float[] x, int cols, int r0, int r1, float[][] sc) {
        int n = (r1 - r0) * cols;
        if (sc[0].length < n) {
            sc[0] = new float[n];
        }
        if (sc[1].length < r1 - r0) {
            sc[1] = new float[r1 - r0];
        }
        float[] e = sc[0];
        float[] max = sc[1];
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            int d = (r - r0) * cols;
            float m = Activations.rowMax(x, o, cols);
            max[r - r0] = m;
            for (int j = 0; j < cols; j++) {
                e[d + j] = x[o + j] - m;
            }
        }
        VectorActivations.expInPlace(e, n);
    }

    /** {@link Losses#softmaxCrossEntropyRows}, same contract, with the exponentials in SIMD. */
    static double softmaxCrossEntropyRows(float[] x, int[] labels, float[] grad, int cols, float smoothing,
                                          double gradScale, int r0, int r1) {
        float[][] sc = SCRATCH.get();
        double total = 0;
        double ls = smoothing;
        double onHot = 1.0 - ls;
        double uniform = ls / cols;
        int step = blockRows(cols);
        for (int b0 = r0; b0 < r1; b0 += step) {
            int b1 = Math.min(r1, b0 + step);
            shiftedExp(x, cols, b0, b1, sc);
            total += crossEntropyBlock(x, labels, grad, cols, onHot, uniform, gradScale, b0, b1, sc[0], sc[1]);
        }
        return total;
    }

    private static double crossEntropyBlock(float[] x, int[] labels, float[] grad, int cols, double onHot,
                                            double uniform, double gradScale, int r0, int r1, float[] e, float[] max) {
        double total = 0;
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            int d = (r - r0) * cols;
            double sumExp = 0;
            double sumX = 0;
            for (int j = 0; j < cols; j++) {
                sumExp += e[d + j];
                sumX += x[o + j];
            }
            double lse = max[r - r0] + Math.log(sumExp);
            int label = labels[r];
            double loss = lse - onHot * x[o + label];
            if (uniform != 0.0) {
                loss -= uniform * sumX;
            }
            total += loss;
            if (grad != null) {
                double inv = 1.0 / sumExp;
                for (int j = 0; j < cols; j++) {
                    double t = (j == label ? onHot : 0.0) + uniform;
                    grad[o + j] = (float) ((e[d + j] * inv - t) * gradScale);
                }
            }
        }
        return total;
    }

    /** {@link Activations#softmaxRows}, same contract, with the exponentials in SIMD; y may be x. */
    static void softmaxRows(boolean log, float[] x, float[] y, int cols, int r0, int r1) {
        float[][] sc = SCRATCH.get();
        int step = blockRows(cols);
        for (int b0 = r0; b0 < r1; b0 += step) {
            int b1 = Math.min(r1, b0 + step);
            shiftedExp(x, cols, b0, b1, sc);
            softmaxBlock(log, x, y, cols, b0, b1, sc[0], sc[1]);
        }
    }

    private static void softmaxBlock(boolean log, float[] x, float[] y, int cols, int r0, int r1, float[] e,
                                     float[] max) {
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            int d = (r - r0) * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += e[d + j];
            }
            if (log) {
                double lse = Math.log(sum);
                double m = max[r - r0];
                for (int j = 0; j < cols; j++) {
                    y[o + j] = (float) ((double) x[o + j] - m - lse);
                }
            } else {
                double inv = 1.0 / sum;
                for (int j = 0; j < cols; j++) {
                    y[o + j] = (float) (e[d + j] * inv);
                }
            }
        }
    }
}
