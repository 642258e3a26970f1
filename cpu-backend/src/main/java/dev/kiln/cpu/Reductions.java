package dev.kiln.cpu;

import dev.kiln.core.NormKind;

/** Per-chunk partial results of the reductions, in double; the engine combines chunks in order. */
final class Reductions {
    private Reductions() {
    }

    /** The sum of x[from..to): eight interleaved accumulators (to hide the add latency), added in a fixed order. */
    static double sum(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int i = from;
        for (; i + 7 < to; i += 8) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        for (; i < to; i++) {
            s0 += x[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** The sum of squares of x[from..to), like {@link #sum}. */
    static double sumSquares(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int i = from;
        for (; i + 7 < to; i += 8) {
            double a0 = x[i];
            double a1 = x[i + 1];
            double a2 = x[i + 2];
            double a3 = x[i + 3];
            double a4 = x[i + 4];
            double a5 = x[i + 5];
            double a6 = x[i + 6];
            double a7 = x[i + 7];
            s0 += a0 * a0;
            s1 += a1 * a1;
            s2 += a2 * a2;
            s3 += a3 * a3;
            s4 += a4 * a4;
            s5 += a5 * a5;
            s6 += a6 * a6;
            s7 += a7 * a7;
        }
        for (; i < to; i++) {
            double a = x[i];
            s0 += a * a;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** The sum of |x| over x[from..to), like {@link #sum}. */
    static double sumAbs(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int i = from;
        for (; i + 7 < to; i += 8) {
            double a0 = x[i];
            double a1 = x[i + 1];
            double a2 = x[i + 2];
            double a3 = x[i + 3];
            double a4 = x[i + 4];
            double a5 = x[i + 5];
            double a6 = x[i + 6];
            double a7 = x[i + 7];
            s0 += Math.abs(a0);
            s1 += Math.abs(a1);
            s2 += Math.abs(a2);
            s3 += Math.abs(a3);
            s4 += Math.abs(a4);
            s5 += Math.abs(a5);
            s6 += Math.abs(a6);
            s7 += Math.abs(a7);
        }
        for (; i < to; i++) {
            double a = x[i];
            s0 += Math.abs(a);
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** For L1 the sum of |x|, for L2 the sum of squares, for LINF the largest |x| (NaN if any is NaN). */
    static double chunk(NormKind kind, float[] x, int from, int to) {
        switch (kind) {
            case L1 -> {
                return sumAbs(x, from, to);
            }
            case L2 -> {
                return sumSquares(x, from, to);
            }
            case LINF -> {
                float m = 0f;
                for (int i = from; i < to; i++) {
                    float a = Math.abs(x[i]);
                    if (a > m) {
                        m = a;
                    } else if (a != a) {
                        return Double.NaN;
                    }
                }
                return m;
            }
            default -> throw new IllegalArgumentException("unknown norm " + kind);
        }
    }
}
