package dev.kiln.core.verify;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntToDoubleFunction;

/**
 * Accumulates the comparison of one case's outputs (a loss and its gradient, a parameter and
 * its optimizer state, ...) against the reference, and turns it into a {@link VerificationResult}.
 */
final class ErrorTally {
    private double maxAbs;
    private double maxRel;
    private boolean passed = true;
    private double worstRatio = -1;
    private String worst = "";
    private long failing;
    private long compared;
    private String error;
    // tolerance description -> the outputs it applied to, in order of first use
    private final Map<String, StringBuilder> tolerances = new LinkedHashMap<>();

    /** Compares {@code got} with {@code want}, element {@code i} allowed {@code bound.applyAsDouble(want[i])}. */
    void compare(String output, float[] got, float[] want, int cols, DoubleUnaryOperator boundOfRef, String tolerance) {
        compareBy(output, got, want, cols, i -> boundOfRef.applyAsDouble(want[i]), tolerance);
    }

    /** Compares with a per-element bound given by index (for GEMM-style bounds). */
    void compareBy(String output, float[] got, float[] want, int cols, IntToDoubleFunction boundAt, String tolerance) {
        noteTolerance(output, tolerance);
        if (!sameLength(output, got.length, want.length)) {
            return;
        }
        for (int i = 0; i < got.length; i++) {
            element(output, i, cols, got[i], want[i], boundAt.applyAsDouble(i));
        }
    }

    /** Elementwise tolerance. */
    void elementwise(String output, float[] got, float[] want, int cols) {
        compare(output, got, want, cols, Tolerance::elementwise, Tolerance.ELEMENTWISE);
    }

    /** Accumulated-state tolerance: the elementwise bound with its atol scaled by the tensor's largest |r|. */
    void accumulated(String output, float[] got, float[] want, int cols) {
        double scale = 0;
        for (float r : want) {
            if (Float.isFinite(r)) {
                scale = Math.max(scale, Math.abs(r));
            }
        }
        double s = scale;
        compare(output, got, want, cols, r -> Tolerance.accumulated(r, s), Tolerance.ACCUMULATED);
    }

    /** Reduction tolerance for a one-element output. */
    void reduction(String output, float[] got, float[] want) {
        compare(output, got, want, 1, Tolerance::reduction, Tolerance.REDUCTION);
    }

    /** Bit-for-bit equality of floats (NaN equal to NaN). */
    void exact(String output, float[] got, float[] want, int cols) {
        compare(output, got, want, cols, r -> 0.0, Tolerance.EXACT);
    }

    /** Equality of ints. */
    void exact(String output, int[] got, int[] want, int cols) {
        noteTolerance(output, Tolerance.EXACT);
        if (!sameLength(output, got.length, want.length)) {
            return;
        }
        for (int i = 0; i < got.length; i++) {
            element(output, i, cols, got[i], want[i], 0);
        }
    }

    /** The backend (or the reference) threw instead of computing. */
    void threw(Throwable t) {
        passed = false;
        maxAbs = Double.POSITIVE_INFINITY;
        maxRel = Double.POSITIVE_INFINITY;
        error = "threw " + t;
    }

    private boolean sameLength(String output, int got, int want) {
        if (got == want) {
            return true;
        }
        passed = false;
        maxAbs = Double.POSITIVE_INFINITY;
        maxRel = Double.POSITIVE_INFINITY;
        error = output + " has " + got + " elements, the reference " + want;
        return false;
    }

    private void element(String output, int i, int cols, double x, double r, double bound) {
        compared++;
        double abs;
        double rel;
        boolean ok;
        if (Double.isFinite(x) && Double.isFinite(r)) {
            abs = Math.abs(x - r);
            rel = r != 0 ? abs / Math.abs(r) : 0;
            ok = abs <= bound;
        } else {
            // NaN matches NaN, an infinity the same infinity; anything else is an infinite error.
            ok = (Double.isNaN(x) && Double.isNaN(r)) || x == r;
            abs = ok ? 0 : Double.POSITIVE_INFINITY;
            rel = abs;
        }
        maxAbs = Math.max(maxAbs, abs);
        if (r != 0 || !ok) {
            maxRel = Math.max(maxRel, rel);
        }
        if (!ok) {
            passed = false;
            failing++;
            double ratio = bound > 0 ? abs / bound : Double.POSITIVE_INFINITY;
            if (ratio > worstRatio || worst.isEmpty()) {
                worstRatio = ratio;
                String at = cols > 1 ? "[" + (i / cols) + ", " + (i % cols) + "]" : "[" + i + "]";
                worst = String.format(Locale.ROOT, "%s%s: got %s, want %s (allowed +-%.3g)", output, at,
                        repr(x), repr(r), bound);
            }
        }
    }

    private static String repr(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.9g", v) : Double.toString(v);
    }

    private void noteTolerance(String output, String tolerance) {
        StringBuilder outs = tolerances.computeIfAbsent(tolerance, k -> new StringBuilder());
        if (outs.length() > 0) {
            outs.append(',');
        }
        outs.append(output);
    }

    /** The row for this case. */
    VerificationResult result(String op, String shape) {
        String tol;
        if (tolerances.size() == 1) {
            tol = tolerances.keySet().iterator().next();
        } else {
            StringBuilder sb = new StringBuilder();
            tolerances.forEach((t, outs) -> sb.append(sb.length() > 0 ? "; " : "").append(outs).append(": ").append(t));
            tol = sb.toString();
        }
        String detail = "";
        if (error != null) {
            detail = error;
        } else if (!passed) {
            detail = failing + " of " + compared + " elements out of tolerance; worst " + worst;
        }
        return new VerificationResult(op, shape, maxAbs, maxRel, tol, passed, detail);
    }
}
