package dev.kiln.cpu;

/** Functions {@link Math} lacks, in double precision: erf and erfc, for the exact GELU. */
final class SpecialMath {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double INV_SQRT_PI = 0.5641895835477563;
    /** Below it the power series, above it the continued fraction, each accurate to about 1e-15 there. */
    private static final double SWITCH = 2.5;

    private SpecialMath() {
    }

    /** The error function, to about 1e-15 relative. */
    static double erf(double x) {
        double z = Math.abs(x);
        double r = z < SWITCH ? erfSeries(z) : 1.0 - erfcFraction(z);
        return x < 0 ? -r : r;
    }

    /** Table step for {@link #erfc}: 1/128, so a point is at most 1/256 from its node. */
    private static final int PER_UNIT = 128;
    /** The table covers [0, TABLE_END); beyond it the continued fraction (erfc(6) is 2e-17). */
    private static final double TABLE_END = 6.0;
    private static final double[] ERFC_NODE = new double[(int) (TABLE_END * PER_UNIT) + 1];
    private static final double[] SLOPE_NODE = new double[ERFC_NODE.length];

    static {
        for (int i = 0; i < ERFC_NODE.length; i++) {
            double z = (double) i / PER_UNIT;
            ERFC_NODE[i] = erfcAccurate(z);
            SLOPE_NODE[i] = TWO_OVER_SQRT_PI * Math.exp(-z * z);
        }
    }

    /**
     * The complementary error function {@code 1 - erf(x)}, accurate in relative terms (better than
     * 1e-10) even far in the tail: a Taylor step of degree 5 from the nearest node of a table made
     * with {@link #erfcAccurate}. The derivatives of erf are polynomials times erf', which is
     * what the table's second column holds; the remainder, erf^(6) d^6 / 720 with d <= 1/256, is
     * largest at the table's end, about 1e-11 of erfc there.
     */
    static double erfc(double x) {
        if (x != x) {
            return x;
        }
        double z = Math.abs(x);
        double r;
        if (z >= TABLE_END) {
            r = erfcFraction(z);
        } else {
            int i = (int) (z * PER_UNIT + 0.5);
            double zi = (double) i / PER_UNIT;
            double d = z - zi;
            double z2 = zi * zi;
            // erf(zi + d) - erf(zi) = g (d - zi d^2 + (2zi^2-1)/3 d^3 + zi(3-2zi^2)/6 d^4 + (4zi^4-12zi^2+3)/30 d^5)
            double poly = d * (1.0 + d * (-zi + d * ((2.0 * z2 - 1.0) * (1.0 / 3)
                    + d * (zi * (3.0 - 2.0 * z2) * (1.0 / 6) + d * ((4.0 * z2 * z2 - 12.0 * z2 + 3.0) * (1.0 / 30))))));
            r = ERFC_NODE[i] - SLOPE_NODE[i] * poly;
        }
        return x < 0 ? 2.0 - r : r;
    }

    /** erfc from the series or the continued fraction, about 1e-15 relative, but slower than {@link #erfc}. */
    static double erfcAccurate(double x) {
        if (x >= SWITCH) {
            return erfcFraction(x);
        }
        if (x != x) {
            return x;
        }
        if (x <= -SWITCH) {
            return 2.0 - erfcFraction(-x);
        }
        return 1.0 - (x < 0 ? -erfSeries(-x) : erfSeries(x));
    }

    /** The standard normal distribution function Phi(x) = erfc(-x / sqrt 2) / 2. */
    static double normalCdf(double x) {
        return 0.5 * erfc(-x * 0.7071067811865476);
    }

    /**
     * erf(z) = 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1*3*...*(2n+1)) for z >= 0: all terms
     * are positive, so nothing cancels.
     */
    private static double erfSeries(double z) {
        double z2 = z * z;
        double term = z;
        double sum = z;
        for (int n = 1; n < 200; n++) {
            term *= 2.0 * z2 / (2 * n + 1);
            sum += term;
            if (term <= sum * 1e-17) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * Math.exp(-z2) * sum;
    }

    /** erfc(z), z >= SWITCH, by Laplace's continued fraction z + (1/2)/(z + 1/(z + (3/2)/(z + ...))), backwards. */
    private static double erfcFraction(double z) {
        if (z > 27.0) {
            return 0.0; // below the smallest double
        }
        if (z == Double.POSITIVE_INFINITY) {
            return 0.0;
        }
        double t = z;
        for (int n = 60; n >= 1; n--) {
            t = z + (n * 0.5) / t;
        }
        return Math.exp(-z * z) * INV_SQRT_PI / t;
    }
}
