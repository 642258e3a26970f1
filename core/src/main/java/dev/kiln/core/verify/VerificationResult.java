package dev.kiln.core.verify;

import java.util.Locale;

/**
 * One row of the verification grid: how far a backend's result for one op on one shape lies from
 * the float64 reference, and whether that is within {@link Tolerance}.
 *
 * @param op          the op and its variant, like {@code gemm NT a=1.5 b=0.5} or {@code activation relu}
 * @param shape       the shape it ran on: {@code MxKxN} for GEMM rows (like {@code 64x784x128}),
 *                    {@code rowsxcols} for everything else (like {@code 64x128})
 * @param maxAbsError the largest {@code |x - r|} over every output element (infinite where one side
 *                    is NaN or infinite and the other is not; 0 when both agree exactly)
 * @param maxRelError the largest {@code |x - r| / |r|} over the elements whose reference {@code r}
 *                    is not 0 (same convention for non-finite values)
 * @param tolerance   the tolerance that applied, in words, like {@code |x-r| <= 1e-6 + 1e-5|r|}
 * @param passed      whether every element was within its bound
 * @param detail      empty when passed; otherwise the worst element (where, got, wanted, bound)
 *                    or the exception the backend threw
 */
public record VerificationResult(String op, String shape, double maxAbsError, double maxRelError, String tolerance,
                                 boolean passed, String detail) {

    /** A result without a detail line. */
    public VerificationResult(String op, String shape, double maxAbsError, double maxRelError, String tolerance,
                              boolean passed) {
        this(op, shape, maxAbsError, maxRelError, tolerance, passed, "");
    }

    public VerificationResult {
        detail = detail == null ? "" : detail;
    }

    /** {@code op @ shape}, the row's name in test reports. */
    public String name() {
        return op + " @ " + shape;
    }

    /** One line for logs and assertion messages: name, errors, tolerance, verdict and detail. */
    public String summary() {
        return String.format(Locale.ROOT, "%s %s: max abs %.3g, max rel %.3g, tolerance %s%s", passed ? "PASS" : "FAIL",
                name(), maxAbsError, maxRelError, tolerance, detail.isEmpty() ? "" : "; " + detail);
    }
}
