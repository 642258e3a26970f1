package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;

/** The only door to the Vector API classes; never loaded unless {@link Simd#modulePresent()}. */
final class VectorSupport {
    private VectorSupport() {
    }

    static int vectorBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    static int floatLanes() {
        return FloatVector.SPECIES_PREFERRED.length();
    }

    static GemmKernel gemmKernel() {
        return new VectorGemmKernel();
    }
}
