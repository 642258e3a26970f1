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

    static GemmKernel gemmKernel() {
        return new VectorGemmKernel();
    }
}
