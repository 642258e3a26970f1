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

    /** The complementary error function {@code 1 - erf(x)}, accurate in relative terms for large x. */
    static double erfc(double x) {
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
