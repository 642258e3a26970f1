package dev.kiln.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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

    /**
     * {@link Losses#softmaxCrossEntropyRows}, same contract, with the exponentials in SIMD. Rows of at
     * most {@link #LANE_COLS} classes go {@link #LANES} at a time, one vector lane per row
     * ({@link #crossEntropyLanes}); the rows left over, and wider rows, one at a time. Both give the
     * same bits for a row (the same operations in the same order), so results do not depend on
     * where a range starts.
     */
    static double softmaxCrossEntropyRows(float[] x, int[] labels, float[] grad, int cols, float smoothing,
                                          double gradScale, int r0, int r1) {
        return softmaxCrossEntropyRows(x, labels, grad, cols, smoothing, gradScale, r0, r1,
                HALF != null && cols <= LANE_COLS);
    }

    /**
     * With {@code lanes} false, every row one at a time (tests compare the two ways): the loss of
     * each block of {@link #blockRows} rows summed row by row, the blocks' sums added. With
     * {@code lanes}, the rows row by row ({@code cols} is then at most {@link #LANE_COLS}, so the
     * rows left over after the lanes are one block): the same sum wherever [r0, r1) fits in one
     * block, as the engine's chunks of rows do.
     */
    static double softmaxCrossEntropyRows(float[] x, int[] labels, float[] grad, int cols, float smoothing,
                                          double gradScale, int r0, int r1, boolean lanes) {
        double ls = smoothing;
        double onHot = 1.0 - ls;
        double uniform = ls / cols;
        float[][] sc = SCRATCH.get();
        if (lanes && HALF != null) {
            int whole = r0 + (r1 - r0) / LANES * LANES;
            double total = crossEntropyLanes(x, labels, grad, cols, onHot, uniform, gradScale, r0, whole);
            if (whole < r1) {
                shiftedExp(x, cols, whole, r1, sc);
                total = crossEntropyBlock(x, labels, grad, cols, onHot, uniform, gradScale, whole, r1, sc[0], sc[1],
                        total);
            }
            return total;
        }
        double total = 0;
        int step = blockRows(cols);
        for (int b0 = r0; b0 < r1; b0 += step) {
            int b1 = Math.min(r1, b0 + step);
            shiftedExp(x, cols, b0, b1, sc);
            total += crossEntropyBlock(x, labels, grad, cols, onHot, uniform, gradScale, b0, b1, sc[0], sc[1], 0.0);
        }
        return total;
    }

    /** Rows up to this many classes take {@link #crossEntropyLanes} (a 10-class row: 86 ns a row one at a time). */
    static final int LANE_COLS = 32;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Rows per group in {@link #crossEntropyLanes}: one per float lane. */
    static final int LANES = S.length();
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());
    /** Floats of half a vector: one double vector's worth, converted back; null where no such shape exists. */
    private static final VectorSpecies<Float> HALF = halfSpecies();

    /** Null for a preferred shape of 64 bits or of a size without a half (some SVE lengths): no lanes then. */
    private static VectorSpecies<Float> halfSpecies() {
        try {
            return VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Per-thread scratch of {@link #crossEntropyLanes}: a group's rows transposed (column-major). */
    private static final class Lanes {
        float[] x = new float[0];
        float[] e = new float[0];
        float[] g = new float[0];
        final float[] max = new float[LANES];
        final double[] sumExp = new double[LANES];
        final double[] sumX = new double[LANES];

        Lanes fit(int n) {
            if (x.length < n) {
                x = new float[n];
                e = new float[n];
                g = new float[n];
            }
            return this;
        }
    }

    private static final ThreadLocal<Lanes> LANE_SCRATCH = ThreadLocal.withInitial(Lanes::new);

    /**
     * Rows [r0, r1) ({@link #LANES} rows at a time; r1 - r0 a multiple of it), each row in one lane:
     * the group is transposed into column-major scratch, so that a vector holds one column of
     * {@link #LANES} rows, and the row sums, the exponentials and the gradient run across rows.
     * Per row, every operation is {@link #crossEntropyBlock}'s, in the same order (the sums in
     * double, column by column from 0; the logarithm per row; the loss added to the total row by
     * row), so each row's loss and gradient have the same bits either way. With rows of 10 classes
     * the row-at-a-time loop spends most of its time on the serial chains of each row's maximum
     * and sums; here they run eight or sixteen rows wide.
     */
    private static double crossEntropyLanes(float[] x, int[] labels, float[] grad, int cols, double onHot,
                                            double uniform, double gradScale, int r0, int r1) {
        int n = cols * LANES;
        Lanes s = LANE_SCRATCH.get().fit(n);
        float[] xt = s.x;
        float[] et = s.e;
        float[] gt = s.g;
        float[] max = s.max;
        double[] sumExp = s.sumExp;
        double[] sumX = s.sumX;
        double total = 0;
        for (int r = r0; r < r1; r += LANES) {
            for (int l = 0; l < LANES; l++) {
                int o = (r + l) * cols;
                for (int j = 0, d = l; j < cols; j++, d += LANES) {
                    xt[d] = x[o + j];
                }
            }
            // FloatVector.max is Math.max lane by lane (NaN wins, +0 above -0), and a maximum does not
            // depend on the order: the bits of Activations.rowMax.
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < n; j += LANES) {
                m = m.max(FloatVector.fromArray(S, xt, j));
            }
            m.intoArray(max, 0);
            for (int j = 0; j < n; j += LANES) {
                FloatVector.fromArray(S, xt, j).sub(m).intoArray(et, j);
            }
            VectorActivations.expInPlace(et, n);
            for (int h = 0, part = 0; h < LANES; h += D.length(), part++) {
                DoubleVector se = DoubleVector.zero(D);
                DoubleVector sx = DoubleVector.zero(D);
                for (int j = 0; j < n; j += LANES) {
                    se = se.add(FloatVector.fromArray(S, et, j).convertShape(VectorOperators.F2D, D, part));
                    sx = sx.add(FloatVector.fromArray(S, xt, j).convertShape(VectorOperators.F2D, D, part));
                }
                se.intoArray(sumExp, h);
                sx.intoArray(sumX, h);
            }
            for (int l = 0; l < LANES; l++) {
                double lse = max[l] + Math.log(sumExp[l]);
                double loss = lse - onHot * xt[labels[r + l] * LANES + l];
                if (uniform != 0.0) {
                    loss -= uniform * sumX[l];
                }
                total += loss;
            }
            if (grad == null) {
                continue;
            }
            // (e / sum - target) * scale with the target of a column that is not the label (0 + uniform);
            // each row's label column is redone below with its own target.
            for (int h = 0, part = 0; h < LANES; h += D.length(), part++) {
                DoubleVector inv = DoubleVector.broadcast(D, 1.0).div(DoubleVector.fromArray(D, sumExp, h));
                double t = 0.0 + uniform;
                for (int j = 0; j < n; j += LANES) {
                    DoubleVector e = (DoubleVector) FloatVector.fromArray(S, et, j)
                            .convertShape(VectorOperators.F2D, D, part);
                    FloatVector g = (FloatVector) e.mul(inv).sub(t).mul(gradScale)
                            .convertShape(VectorOperators.D2F, HALF, 0);
                    g.intoArray(gt, j + h);
                }
            }
            for (int l = 0; l < LANES; l++) {
                int o = (r + l) * cols;
                int label = labels[r + l];
                for (int j = 0, d = l; j < cols; j++, d += LANES) {
                    grad[o + j] = gt[d];
                }
                double inv = 1.0 / sumExp[l];
                grad[o + label] = (float) ((et[label * LANES + l] * inv - (onHot + uniform)) * gradScale);
            }
        }
        return total;
    }

    /** {@code total} plus the loss of rows [r0, r1), added row by row; writes their gradient. */
    private static double crossEntropyBlock(float[] x, int[] labels, float[] grad, int cols, double onHot,
                                            double uniform, double gradScale, int r0, int r1, float[] e, float[] max,
                                            double total) {
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
