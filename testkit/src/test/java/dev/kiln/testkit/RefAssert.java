package dev.kiln.testkit;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise closeness assertions for the reference tests, with messages that name the index and values. */
final class RefAssert {
    private RefAssert() {
    }

    /**
     * Asserts {@code |got[i] - want[i]| <= atol + rtol |want[i]|} for the first {@code n} values;
     * NaN matches only NaN. Returns the largest {@code |got - want| / (atol + rtol |want|)} seen (at most 1).
     */
    static double assertClose(String what, double[] got, double[] want, int n, double atol, double rtol) {
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double g = got[i];
            double w = want[i];
            if (Double.isNaN(w) || Double.isNaN(g)) {
                if (!(Double.isNaN(w) && Double.isNaN(g))) {
                    fail(what + ": index " + i + ": got " + g + ", want " + w);
                }
                continue;
            }
            if (g == w) {
                continue;
            }
            double tol = atol + rtol * Math.abs(w);
            double err = Math.abs(g - w);
            if (!(err <= tol)) {
                fail(what + ": index " + i + ": got " + g + ", want " + w + ", |error| " + err + " > " + tol
                        + " (atol " + atol + ", rtol " + rtol + ")");
            }
            worst = Math.max(worst, err / tol);
        }
        return worst;
    }

    static double assertClose(String what, double got, double want, double atol, double rtol) {
        return assertClose(what, new double[] {got}, new double[] {want}, 1, atol, rtol);
    }
}
