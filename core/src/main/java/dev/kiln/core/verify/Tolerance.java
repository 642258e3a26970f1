package dev.kiln.core.verify;

/**
 * The accuracy a float32 backend must reach against the float64 reference, in one place, as the
 * field sets it (PyTorch OpInfo, llm.c): every check in the verification grid and the conformance
 * suite takes its bound from here. {@code r} is the reference value, {@code x} the backend's.
 *
 * <ul>
 *   <li>{@link #elementwise}: {@code |x - r| <= 1e-6 + 1e-5 |r|} per element, for ops whose
 *       every output element comes from a handful of float operations (activations and their
 *       gradients, bias add, loss gradients, scale, axpy, copy).
 *   <li>{@link #accumulated}: {@code |x - r| <= 1e-6 max(1, max|r|) + 1e-5 |r|}, the
 *       elementwise bound with its absolute part scaled by the largest magnitude in the tensor, for
 *       optimizer parameters and state after several steps. A momentum buffer sums terms across
 *       steps (RMSprop's {@code g / avg} terms are about 10 early on); where they cancel, an element
 *       is small but its float32 error is that of the terms, so its error is bounded by the
 *       tensor's scale rather than by its own value. Equal to {@link #elementwise} for tensors
 *       whose values stay within [-1, 1].
 *   <li>{@link #gemm}: per element of C, {@code |c - r| <= c0 (K + 2) eps (|alpha| (|A||B|)_ij +
 *       |beta| |C_ij|) + 1e-9}, with {@code eps = 2^-24} (float32's unit round-off) and
 *       {@code c0 = 2}. This is the classical bound on a K-term dot product in floating point
 *       ({@code gamma_K = K eps}, whatever the summation order or blocking), with 2 more round-offs
 *       for the alpha scale and the beta C add, and a factor 2 of margin for the reference's own
 *       rounding to float32. It scales with {@code |A||B|}, not with {@code |AB|}, so cancellation
 *       in a dot product is never blamed on the backend. The 1e-9 floor only matters for
 *       elements whose inputs are all (near) zero, where a device may flush denormals.
 *       Column sums ({@code biasGrad}) are a GEMM with a ones vector and use the same bound with
 *       {@code K = rows}.
 *   <li>{@link #reduction}: {@code |x - r| <= 1e-7 + 1e-5 |r|} for scalars that reduce many
 *       elements (losses, sums, norms). The grid feeds reductions well-conditioned data (sums of
 *       non-negative terms, or values with a non-zero mean), so a relative bound is fair; it still
 *       asks for more than a naive sequential float sum over 10^6 elements achieves, which is the
 *       point: backends must accumulate in blocks, lanes or pairs, as PyTorch does.
 *   <li>{@link #EXACT}: integer results (argmax, counts) and pure data movement (fill, int copy)
 *       must match bit for bit.
 * </ul>
 *
 * NaN matches NaN and an infinity matches the same infinity; anything else non-finite fails.
 */
public final class Tolerance {
    /** float32's unit round-off, 2^-24. */
    public static final double EPS = 0x1p-24;

    /** Absolute part of the elementwise bound. */
    public static final double ELEMENTWISE_ATOL = 1e-6;
    /** Relative part of the elementwise bound. */
    public static final double ELEMENTWISE_RTOL = 1e-5;

    /** The safety factor {@code c0} of the GEMM bound. */
    public static final double GEMM_C0 = 2;
    /** The absolute floor of the GEMM bound. */
    public static final double GEMM_ATOL = 1e-9;

    /** Absolute part of the reduction bound. */
    public static final double REDUCTION_ATOL = 1e-7;
    /** Relative part of the reduction bound. */
    public static final double REDUCTION_RTOL = 1e-5;

    /** How the elementwise bound reads in reports. */
    public static final String ELEMENTWISE = "|x-r| <= 1e-6 + 1e-5|r|";
    /** How the accumulated-state bound reads in reports. */
    public static final String ACCUMULATED = "|x-r| <= 1e-6 max(1, max|r|) + 1e-5|r|";
    /** How the GEMM bound reads in reports. */
    public static final String GEMM = "|x-r| <= 2(K+2)eps(|a||A||B| + |b||C|) + 1e-9";
    /** How the column-sum bound reads in reports. */
    public static final String COLUMN_SUM = "|x-r| <= 2(rows+2)eps(sum|dy| + |b||db|) + 1e-9";
    /** How the reduction bound reads in reports. */
    public static final String REDUCTION = "|x-r| <= 1e-7 + 1e-5|r|";
    /** How exact comparison reads in reports. */
    public static final String EXACT = "exact";

    private Tolerance() {
    }

    /** The allowed error of an elementwise result whose reference value is {@code ref}. */
    public static double elementwise(double ref) {
        return ELEMENTWISE_ATOL + ELEMENTWISE_RTOL * Math.abs(ref);
    }

    /**
     * The allowed error of an element of accumulated optimizer state whose reference value is
     * {@code ref}, in a tensor whose largest reference magnitude is {@code scale}.
     */
    public static double accumulated(double ref, double scale) {
        return ELEMENTWISE_ATOL * Math.max(1, scale) + ELEMENTWISE_RTOL * Math.abs(ref);
    }

    /**
     * The allowed error of one element of a GEMM (or column sum) with inner dimension {@code k},
     * where {@code magnitude} is {@code |alpha| (|A||B|)_ij + |beta| |C_ij|} computed in double.
     */
    public static double gemm(int k, double magnitude) {
        return GEMM_C0 * (k + 2) * EPS * magnitude + GEMM_ATOL;
    }

    /** The allowed error of a reduced scalar whose reference value is {@code ref}. */
    public static double reduction(double ref) {
        return REDUCTION_ATOL + REDUCTION_RTOL * Math.abs(ref);
    }
}
