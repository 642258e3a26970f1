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
}
