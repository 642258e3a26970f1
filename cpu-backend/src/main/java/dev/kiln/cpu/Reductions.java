package dev.kiln.cpu;

import dev.kiln.core.NormKind;

/** Per-chunk partial results of the reductions, in double; the engine combines chunks in order. */
final class Reductions {
    private Reductions() {
    }

    /** The sum of x[from..to), with four interleaved accumulators added in a fixed order. */
    static double sum(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < to; i++) {
            s0 += x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** For L1 the sum of |x|, for L2 the sum of squares, for LINF the largest |x| (NaN if any is NaN). */
    static double chunk(NormKind kind, float[] x, int from, int to) {
        switch (kind) {
            case L1 -> {
                double s = 0;
                for (int i = from; i < to; i++) {
                    s += Math.abs(x[i]);
                }
                return s;
            }
            case L2 -> {
                double s0 = 0;
                double s1 = 0;
                int i = from;
                for (; i + 1 < to; i += 2) {
                    double a = x[i];
                    double b = x[i + 1];
                    s0 += a * a;
                    s1 += b * b;
                }
                for (; i < to; i++) {
                    double a = x[i];
                    s0 += a * a;
                }
                return s0 + s1;
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
