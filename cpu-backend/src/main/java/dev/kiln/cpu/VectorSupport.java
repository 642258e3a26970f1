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

    /** {@link VectorElementwise#biasAdd}. */
    static void biasAdd(float[] x, float[] b, float[] y, int cols, int r0, int r1) {
        VectorElementwise.biasAdd(x, b, y, cols, r0, r1);
    }

    /** {@link VectorElementwise#biasGrad}. */
    static void biasGrad(float[] dy, float[] db, int rows, int cols, float beta, int c0, int c1) {
        VectorElementwise.biasGrad(dy, db, rows, cols, beta, c0, c1);
    }

    /** {@link VectorElementwise#unsignedBytesToFloats}. */
    static void unsignedBytesToFloats(byte[] src, int srcOffset, float[] dst, int dstOffset, int count,
                                      float divisor) {
        VectorElementwise.unsignedBytesToFloats(src, srcOffset, dst, dstOffset, count, divisor);
    }

    static GemmKernel gemmKernel() {
        return new VectorGemmKernel();
    }

    static GemmKernel shortGemmKernel() {
        return VectorGemmKernel.MR_SHORT == 0 ? null : new VectorGemmKernel(VectorGemmKernel.MR_SHORT);
    }
}
