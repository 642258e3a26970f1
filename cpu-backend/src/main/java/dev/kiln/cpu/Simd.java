package dev.kiln.cpu;

/**
 * Whether the SIMD (jdk.incubator.vector) code paths run, decided once per JVM.
 *
 * <p>The Vector API is an incubator module: it is only there when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}. Every class that touches it is reached through
 * {@link VectorSupport}, which is loaded only after this check passed, so the backend still works
 * (with plain loops) on a JVM started without the flag. {@code -Dkiln.cpu.simd=false} forces the
 * plain loops even when the module is present.
 */
final class Simd {
    /** The module the SIMD kernels need. */
    static final String MODULE = "jdk.incubator.vector";

    private static final boolean PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();

    private Simd() {
    }

    /** Whether the Vector API module is in the boot layer. */
    static boolean modulePresent() {
        return PRESENT;
    }

    /** Whether {@code -Dkiln.cpu.simd} allows SIMD (it does unless set to {@code false}). */
    static boolean allowedByProperty() {
        return !"false".equalsIgnoreCase(System.getProperty("kiln.cpu.simd", "true").trim());
    }

    /** Whether SIMD is used by default: the module is present and not disabled. */
    static boolean enabledByDefault() {
        return PRESENT && allowedByProperty();
    }

    /** A one-line description for probe details, like {@code on (jdk.incubator.vector, 512-bit, 16 float lanes)}. */
    static String describe() {
        if (!PRESENT) {
            return "off (start the JVM with --add-modules " + MODULE + ")";
        }
        if (!allowedByProperty()) {
            return "off (disabled by -Dkiln.cpu.simd=false)";
        }
        return "on (" + MODULE + ", " + VectorSupport.vectorBits() + "-bit, " + VectorSupport.floatLanes()
                + " float lanes)";
    }

    /** The GEMM micro-kernel to use. */
    static GemmKernel gemmKernel(boolean simd) {
        return simd && PRESENT ? VectorSupport.gemmKernel() : new ScalarGemmKernel();
    }

    /**
     * The SIMD kernel's one-vector-wide variant (16 x 16 with 512-bit vectors) for products at
     * most that wide, or null without SIMD. The MLP's output layer (64 x 10) then computes 16
     * columns per row instead of 32.
     */
    static GemmKernel narrowGemmKernel(boolean simd) {
        return simd && PRESENT ? VectorSupport.narrowGemmKernel() : null;
    }

    /** The property that overrides the AVX2 tile's height (see {@link #avx2TileRows(String, int)}). */
    static final String ROWS_PROPERTY = "kiln.cpu.simd.rows";

    /**
     * The height of the two-vector GEMM tile with 256-bit vectors (AVX2's 16 registers), for this JVM:
     * see {@link #avx2TileRows(String, int)}.
     */
    static int avx2TileRows() {
        String value = System.getProperty(ROWS_PROPERTY);
        int rows = avx2TileRows(value, Runtime.version().feature());
        if (value != null && !value.trim().equals(Integer.toString(rows))) {
            System.getLogger("dev.kiln.cpu").log(System.Logger.Level.WARNING,
                    "-D" + ROWS_PROPERTY + "=" + value + " ignored (the AVX2 tile has 6 or 4 rows); using " + rows);
        }
        return rows;
    }

    /**
     * The AVX2 tile's height given {@code -Dkiln.cpu.simd.rows} ({@code value}, null when unset) and the
     * JVM's feature version: 6 rows (12 accumulators, 2 B vectors and the broadcasts fill the 16
     * registers) on JDK 17, whose C2 keeps that tile in registers; 4 rows (8 accumulators) on later
     * JDKs. JDK 25's C2 loads a step's broadcasts ahead of their multiply-adds (three live at once
     * where JDK 17 has one or two), runs out of registers and spills an accumulator to the stack every
     * step, which halves the 6-row tile's speed (measured on Zen 3, square GEMM 256-2048: 6 x 16 at
     * 0.41-0.55x OpenBLAS, 4 x 16 at 0.58-0.81x; on JDK 17 the 6-row tile is the faster one). Versions 18 to 24 were not measured and take the 4-row tile, whose worst case is
     * the smaller loss. {@code 6} or {@code 4} overrides; another value is ignored.
     */
    static int avx2TileRows(String value, int feature) {
        if (value != null) {
            String v = value.trim();
            if (v.equals("6") || v.equals("4")) {
                return Integer.parseInt(v);
            }
        }
        return feature <= 17 ? 6 : 4;
    }
}
