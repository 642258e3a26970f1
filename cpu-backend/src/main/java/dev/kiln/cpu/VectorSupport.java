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

    static GemmKernel gemmKernel() {
        return new VectorGemmKernel();
    }

    static GemmKernel narrowGemmKernel() {
        return new VectorGemmKernel(VectorGemmKernel.NARROW_MR, 1);
    }

    static GemmKernel shortGemmKernel() {
        return VectorGemmKernel.MR_SHORT == 0 ? null : new VectorGemmKernel(VectorGemmKernel.MR_SHORT);
    }
}
