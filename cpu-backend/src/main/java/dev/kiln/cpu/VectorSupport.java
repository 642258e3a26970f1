package dev.kiln.cpu;

/** The only door to the Vector API classes; never loaded unless {@link Simd#modulePresent()}. */
final class VectorSupport {
    private VectorSupport() {
    }

    static int vectorBits() {
        return VectorGemmKernel.vectorBits();
    }

    static int floatLanes() {
        return VectorGemmKernel.vectorBits() / Float.SIZE;
    }

    /** {@link VectorElementwise#reluBackward}. */
    static void reluBackward(float[] y, float[] dy, float[] dx, int from, int to) {
        VectorElementwise.reluBackward(y, dy, dx, from, to);
    }

    /** {@link VectorElementwise#unsignedBytesToFloats}. */
    static void unsignedBytesToFloats(byte[] src, int srcOffset, float[] dst, int dstOffset, int count,
                                      float divisor) {
        VectorElementwise.unsignedBytesToFloats(src, srcOffset, dst, dstOffset, count, divisor);
    }

    /** Whether {@link VectorActivations} computes {@code act} (sigmoid, tanh, the GELUs, softplus). */
    static boolean transcendental(dev.kiln.core.Activation act) {
        return VectorActivations.handles(act);
    }

    /** {@link VectorActivations#forward}. */
    static void activation(dev.kiln.core.Activation act, float[] x, float[] y, int from, int to) {
        VectorActivations.forward(act, x, y, from, to);
    }

    /** {@link VectorActivations#backward}. */
    static void activationBackward(dev.kiln.core.Activation act, float[] x, float[] y, float[] dy, float[] dx,
                                   int from, int to) {
        VectorActivations.backward(act, x, y, dy, dx, from, to);
    }

    /** {@link VectorLosses#softmaxRows}. */
    static void softmaxRows(boolean log, float[] x, float[] y, int cols, int r0, int r1) {
        VectorLosses.softmaxRows(log, x, y, cols, r0, r1);
    }

    /** {@link VectorLosses#softmaxCrossEntropyRows}. */
    static double softmaxCrossEntropyRows(float[] x, int[] labels, float[] grad, int cols, float smoothing,
                                          double gradScale, int r0, int r1) {
        return VectorLosses.softmaxCrossEntropyRows(x, labels, grad, cols, smoothing, gradScale, r0, r1);
    }

    static GemmKernel gemmKernel() {
        return new VectorGemmKernel();
    }

    static GemmKernel narrowGemmKernel() {
        return new VectorGemmKernel(VectorGemmKernel.NARROW_MR, 1);
    }
}
